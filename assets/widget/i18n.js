// Widget strings. Add a language by adding a table; missing keys fall back to English.

const tables = {
  en: {
    title: "Chat with us", open: "Open chat", close: "Close chat", message: "Message", send: "Send",
    placeholder: "Write a message…", online: "We are online",
    away: "We are away right now — leave a message", greeting: "Hi! How can we help?",
    offlineIntro: "We are not online right now. Leave your email and message and we will get back to you.",
    offlineDone: "Thanks! We will reply by email.", prechatIntro: "Tell us who you are and we will be right with you.",
    start: "Start chat", name: "Name", email: "Email", typing: "is typing…", agent: "An agent", read: "Read",
    deleted: "Message deleted", transcriptTo: "Send the transcript to", transcriptSent: "Transcript on its way to",
    rateIntro: "How was this conversation?", comment: "Comment (optional)", thanksRating: "Thanks for your feedback!",
    help: "Help articles", searchArticles: "Search articles…", noArticles: "No articles found.", back: "Back",
    readMore: "Read more", helpful: "Was this helpful?", backToChat: "Chat with us",
    transcript: "Email me the transcript", good: "Good", bad: "Bad", yes: "Yes", no: "No", emoji: "Emoji",
    attach: "Attach a file", messages: "Messages", dismiss: "Close", file: "file", image: "Image",
    sending: "Sending…", failed: "Not sent", retry: "Retry",
    uploading: "Uploading", cancel: "Cancel", closeImage: "Close image", fileTooLarge: "This file is too large.",
    fileType: "This type of file cannot be sent.", tooManyUploads: "Too many uploads right now; try again in a moment.",
    diskFull: "The server has no room for files right now.", uploadFailed: "The file could not be sent.", emptyFile: "This file is empty.",
    replyMinutes: "Typically replies in a few minutes", replyHour: "Typically replies in under an hour",
    replyHours: "Typically replies in a few hours", replyDay: "Typically replies in a day",
    sent: "Sent", delivered: "Delivered", assignedTo: "Assigned to", unassigned: "Unassigned",
    transferredTo: "Transferred to", closed: "Conversation closed", reopened: "Conversation reopened",
    rated: "Rated", newConversation: "Start a new conversation",
  },
  fr: {
    title: "Discutons", open: "Ouvrir le chat", close: "Fermer le chat", message: "Message", send: "Envoyer",
    placeholder: "Écrivez un message…", online: "Nous sommes en ligne",
    away: "Nous sommes absents — laissez un message", greeting: "Bonjour ! Comment pouvons-nous aider ?",
    offlineIntro: "Nous ne sommes pas en ligne. Laissez votre e-mail et votre message, nous vous répondrons.",
    offlineDone: "Merci ! Nous vous répondrons par e-mail.", prechatIntro: "Présentez-vous et nous sommes à vous.",
    start: "Commencer", name: "Nom", email: "E-mail", typing: "écrit…", agent: "Un agent", read: "Lu",
    deleted: "Message supprimé", transcriptTo: "Envoyer la transcription à", transcriptSent: "Transcription envoyée à",
    rateIntro: "Comment s'est passée cette conversation ?", comment: "Commentaire (facultatif)", thanksRating: "Merci pour votre avis !",
    help: "Articles d'aide", searchArticles: "Rechercher dans les articles…", noArticles: "Aucun article trouvé.", back: "Retour",
    readMore: "En savoir plus", helpful: "Cet article vous a-t-il aidé ?", backToChat: "Discuter avec nous",
    transcript: "Recevoir la transcription par e-mail", good: "Bien", bad: "Pas bien", yes: "Oui", no: "Non", emoji: "Émoji",
    attach: "Joindre un fichier", messages: "Messages", dismiss: "Fermer", file: "fichier", image: "Image",
    sending: "Envoi…", failed: "Non envoyé", retry: "Réessayer",
    uploading: "Envoi de", cancel: "Annuler", closeImage: "Fermer l'image", fileTooLarge: "Ce fichier est trop volumineux.",
    fileType: "Ce type de fichier ne peut pas être envoyé.", tooManyUploads: "Trop d'envois en ce moment ; réessayez dans un instant.",
    diskFull: "Le serveur n'a plus de place pour les fichiers.", uploadFailed: "Le fichier n'a pas pu être envoyé.", emptyFile: "Ce fichier est vide.",
    replyMinutes: "Répond généralement en quelques minutes", replyHour: "Répond généralement en moins d'une heure",
    replyHours: "Répond généralement en quelques heures", replyDay: "Répond généralement en un jour",
    sent: "Envoyé", delivered: "Distribué", assignedTo: "Attribuée à", unassigned: "Non attribuée",
    transferredTo: "Transférée à", closed: "Conversation fermée", reopened: "Conversation rouverte",
    rated: "Évaluée", newConversation: "Commencer une nouvelle conversation",
  },
  ar: {
    title: "تحدث معنا", open: "افتح الدردشة", close: "أغلق الدردشة", message: "رسالة", send: "إرسال",
    placeholder: "اكتب رسالة…", online: "نحن متصلون الآن", away: "نحن غير متاحين الآن — اترك رسالة",
    greeting: "مرحباً! كيف يمكننا المساعدة؟", offlineIntro: "لسنا متصلين الآن. اترك بريدك ورسالتك وسنعود إليك.",
    offlineDone: "شكراً! سنرد عبر البريد.", prechatIntro: "عرّفنا بنفسك وسنكون معك حالاً.", start: "ابدأ الدردشة",
    name: "الاسم", email: "البريد الإلكتروني", typing: "يكتب…", agent: "وكيل", read: "مقروءة", deleted: "رسالة محذوفة",
    help: "مقالات المساعدة", searchArticles: "ابحث في المقالات…", noArticles: "لا توجد مقالات.", back: "رجوع",
    readMore: "اقرأ المزيد", helpful: "هل كان هذا مفيداً؟", backToChat: "تحدث معنا",
    transcriptTo: "أرسل نص المحادثة إلى", transcriptSent: "نص المحادثة في الطريق إلى",
    rateIntro: "كيف كانت هذه المحادثة؟", comment: "تعليق (اختياري)", thanksRating: "شكراً على رأيك!",
    transcript: "أرسل لي نص المحادثة بالبريد", good: "جيدة", bad: "سيئة", yes: "نعم", no: "لا", emoji: "رموز تعبيرية",
    attach: "أرفق ملفاً", messages: "الرسائل", dismiss: "إغلاق", file: "ملف", image: "صورة",
    sending: "جارٍ الإرسال…", failed: "لم تُرسل", retry: "أعد المحاولة",
    uploading: "جارٍ رفع", cancel: "إلغاء", closeImage: "أغلق الصورة", fileTooLarge: "هذا الملف كبير جداً.",
    fileType: "لا يمكن إرسال هذا النوع من الملفات.", tooManyUploads: "عمليات رفع كثيرة الآن؛ حاول بعد قليل.",
    diskFull: "لا توجد مساحة للملفات على الخادم الآن.", uploadFailed: "تعذّر إرسال الملف.", emptyFile: "هذا الملف فارغ.",
    replyMinutes: "يرد عادةً خلال بضع دقائق", replyHour: "يرد عادةً خلال أقل من ساعة",
    replyHours: "يرد عادةً خلال بضع ساعات", replyDay: "يرد عادةً خلال يوم",
    sent: "أُرسلت", delivered: "وصلت", assignedTo: "أُسندت إلى", unassigned: "غير مُسندة",
    transferredTo: "حُوّلت إلى", closed: "أُغلقت المحادثة", reopened: "أُعيد فتح المحادثة",
    rated: "قُيّمت", newConversation: "ابدأ محادثة جديدة",
  },
};

export function strings(code) {
  return { ...tables.en, ...(tables[code] || {}) };
}

/** The languages the widget has a table for (every key of each is checked
 * against English by the browser tests). */
export const languages = Object.keys(tables);
export function table(code) { return tables[code] || {}; }

export function isRtl(code) {
  return ["ar", "he", "fa", "ur"].includes(code);
}
