-- Message fields beyond the base columns (media, keyboards, signatures ...) as one JSON object.
ALTER TABLE messages ADD COLUMN extra TEXT;
