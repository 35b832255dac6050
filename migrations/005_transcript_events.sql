-- Transcript mail is capped per contact and per recipient per hour, counted
-- from these events; a partial index keeps that count off the rest of the log.
CREATE INDEX events_transcripts ON events(created_at) WHERE kind = 'conversation.transcript_requested';
