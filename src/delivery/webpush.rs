//! Web Push's cryptography, pure (no I/O): the install's VAPID key pair
//! and its `Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292), and
//! message encryption for one subscription (RFC 8291 over the `aes128gcm`
//! content coding of RFC 8188). The primitives are RustCrypto's (`p256`
//! ECDH and ECDSA, `hkdf`, `aes-gcm`, `sha2`); what is written here is only
//! their composition, step by step as the RFCs give it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// Record size written in the header: one record holds the whole message.
const RECORD_SIZE: u32 = 4096;
/// The most plaintext one record carries (RFC 8291 §4: push services take
/// 4096 bytes of payload; 16 tag + 1 delimiter + 86 header bytes).
pub const MAX_PLAINTEXT: usize = 3993;
/// RFC 8292 §2: the JWT's `exp` is at most 24 hours ahead; 12 leaves room
/// for a clock that runs ahead.
const JWT_TTL_SECS: i64 = 12 * 3600;

fn random_secret() -> SecretKey {
    loop {
        // A 32-byte string is a valid scalar but for ~2^-32 of them.
        if let Ok(k) = SecretKey::from_slice(&crate::util::random_bytes(32)) {
            return k;
        }
    }
}

fn public_bytes(k: &PublicKey) -> Vec<u8> {
    k.to_encoded_point(false).as_bytes().to_vec()
}

/// A new VAPID key pair: the private scalar (32 bytes) and the public key
/// as browsers take it (`applicationServerKey`): the uncompressed point,
/// base64url without padding.
pub fn new_key_pair() -> (Vec<u8>, String) {
    let k = random_secret();
    (
        k.to_bytes().to_vec(),
        B64.encode(public_bytes(&k.public_key())),
    )
}

/// `scheme://host[:port]` of a URL: the JWT's audience.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// The `Authorization` header for a push to `endpoint`, signed ES256 with
/// the install's key; `sub` is the operator's contact (`mailto:` or https).
pub fn vapid_authorization(
    private_key: &[u8],
    public_key: &str,
    endpoint: &str,
    sub: &str,
    now_secs: i64,
) -> Result<String, String> {
    let aud = origin(endpoint).ok_or("the endpoint has no origin")?;
    let key = p256::ecdsa::SigningKey::from_slice(private_key)
        .map_err(|_| "the VAPID private key is invalid")?;
    let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({ "aud": aud, "exp": now_secs + JWT_TTL_SECS, "sub": sub });
    let claims = B64.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    // JWS ES256 (RFC 7518 §3.4): the signature is r || s, 64 bytes.
    let sig: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
    Ok(format!(
        "vapid t={signing_input}.{}, k={public_key}",
        B64.encode(sig.to_bytes())
    ))
}

/// The browser's keys of a subscription, decoded and checked: the public
/// key a point on P-256 (65 bytes uncompressed), the auth secret 16 bytes.
pub fn subscription_keys(p256dh: &str, auth: &str) -> Result<(PublicKey, [u8; 16]), String> {
    let pk = B64
        .decode(p256dh.trim_end_matches('='))
        .map_err(|_| "keys.p256dh is not base64url")?;
    if pk.len() != 65 {
        return Err("keys.p256dh must be an uncompressed P-256 point (65 bytes)".into());
    }
    let pk = PublicKey::from_sec1_bytes(&pk).map_err(|_| "keys.p256dh is not a P-256 point")?;
    let auth = B64
        .decode(auth.trim_end_matches('='))
        .map_err(|_| "keys.auth is not base64url")?;
    let auth: [u8; 16] = auth.try_into().map_err(|_| "keys.auth must be 16 bytes")?;
    Ok((pk, auth))
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    hkdf::Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .expect("at most 32 bytes, within HKDF's bound");
}

/// The body of a push message for one subscription: RFC 8291 §3.4 keys
/// from a fresh sender key pair and salt, encrypted as one `aes128gcm`
/// record (RFC 8188 §2) whose header names the sender's public key.
pub fn encrypt(p256dh: &str, auth: &str, plaintext: &[u8]) -> Result<Vec<u8>, String> {
    use aes_gcm::aead::{Aead, KeyInit};
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(format!("the message is larger than {MAX_PLAINTEXT} bytes"));
    }
    let (ua_public, auth_secret) = subscription_keys(p256dh, auth)?;
    let as_secret = random_secret();
    let as_public = public_bytes(&as_secret.public_key());
    let ua_bytes = public_bytes(&ua_public);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());
    // IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" 0x00 ua_public as_public, 32)
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(&ua_bytes);
    key_info.extend_from_slice(&as_public);
    let mut ikm = [0u8; 32];
    hkdf(&auth_secret, shared.raw_secret_bytes(), &key_info, &mut ikm);
    // RFC 8188 §2.2-2.3: CEK and nonce from the record's salt.
    let salt = crate::util::random_bytes(16);
    let mut cek = [0u8; 16];
    hkdf(&salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek);
    let mut nonce = [0u8; 12];
    hkdf(&salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce);
    // The only (so last) record: its padding delimiter is 0x02.
    let mut record = plaintext.to_vec();
    record.push(2);
    let sealed = aes_gcm::Aes128Gcm::new_from_slice(&cek)
        .map_err(|_| "AES key")?
        .encrypt(aes_gcm::Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| "AES-GCM failed")?;
    let mut body = Vec::with_capacity(86 + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8291 §5's example, decrypted with its receiver's private key:
    /// our encryption (fresh sender key and salt) must open the same way.
    #[test]
    fn a_message_opens_with_the_receivers_key() {
        use aes_gcm::aead::{Aead, KeyInit};
        let ua_private = B64
            .decode("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")
            .unwrap();
        let ua_public = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        let auth = "BTBZMqHH6r4Tts7J_aSIgg";
        let body = encrypt(
            ua_public,
            auth,
            b"When I grow up, I want to be a watermelon",
        )
        .unwrap();
        let (salt, rest) = body.split_at(16);
        assert_eq!(&rest[..4], &4096u32.to_be_bytes());
        assert_eq!(rest[4], 65);
        let as_public = PublicKey::from_sec1_bytes(&rest[5..70]).unwrap();
        let sealed = &rest[70..];
        let ua_secret = SecretKey::from_slice(&ua_private).unwrap();
        let shared =
            p256::ecdh::diffie_hellman(ua_secret.to_nonzero_scalar(), as_public.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(&B64.decode(ua_public).unwrap());
        info.extend_from_slice(&rest[5..70]);
        let mut ikm = [0u8; 32];
        hkdf(
            &B64.decode(auth).unwrap(),
            shared.raw_secret_bytes(),
            &info,
            &mut ikm,
        );
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek);
        hkdf(salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce);
        let plain = aes_gcm::Aes128Gcm::new_from_slice(&cek)
            .unwrap()
            .decrypt(aes_gcm::Nonce::from_slice(&nonce), sealed)
            .unwrap();
        assert_eq!(plain, b"When I grow up, I want to be a watermelon\x02");
    }

    #[test]
    fn the_vapid_header_verifies_with_its_key() {
        use p256::ecdsa::signature::Verifier;
        let (private, public) = new_key_pair();
        let h = vapid_authorization(
            &private,
            &public,
            "https://push.example.net:8443/wpush/abc?x=1",
            "mailto:ops@example.com",
            1_000,
        )
        .unwrap();
        let (t, k) = h
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, public);
        let parts: Vec<&str> = t.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_000 + JWT_TTL_SECS);
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
        let sig = p256::ecdsa::Signature::from_slice(&B64.decode(parts[2]).unwrap()).unwrap();
        key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn bad_subscription_keys_are_refused() {
        assert!(subscription_keys("AAAA", "BTBZMqHH6r4Tts7J_aSIgg").is_err());
        let ua = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        assert!(subscription_keys(ua, "short").is_err());
        assert!(subscription_keys(ua, "BTBZMqHH6r4Tts7J_aSIgg").is_ok());
        // Not on the curve: the last byte changed.
        let off = format!("{}5", &ua[..ua.len() - 1]);
        assert!(subscription_keys(&off, "BTBZMqHH6r4Tts7J_aSIgg").is_err());
    }
}
