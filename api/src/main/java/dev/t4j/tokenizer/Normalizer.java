package dev.t4j.tokenizer;

import java.text.Normalizer.Form;
import java.util.List;
import java.util.Locale;

/** A text transformation before splitting (tokenizer.json "normalizer"). */
sealed interface Normalizer {
    Text apply(Text t);

    /** BERT's: clean control chars and whitespace, space out CJK ideographs, strip accents, lowercase. */
    record Bert(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase)
            implements Normalizer {
        @Override
        public Text apply(Text t) {
            Text.Builder b = new Text.Builder();
            String s = t.chars();
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                int from = t.origin()[i];
                i += Character.charCount(cp);
                if (cleanText) {
                    if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                        continue;
                    }
                    if (isWhitespace(cp)) {
                        b.append(" ", from);
                        continue;
                    }
                }
                if (handleChineseChars && isChinese(cp)) {
                    b.append(" ", from);
                    b.appendCodePoint(cp, from);
                    b.append(" ", from);
                    continue;
                }
                String c = new String(Character.toChars(cp));
                if (stripAccents) {
                    c = java.text.Normalizer.normalize(c, Form.NFD);
                    StringBuilder kept = new StringBuilder();
                    c.codePoints().filter(x -> Character.getType(x) != Character.NON_SPACING_MARK)
                            .forEach(kept::appendCodePoint);
                    c = kept.toString();
                }
                if (lowercase) {
                    c = c.toLowerCase(Locale.ROOT);
                }
                b.append(c, from);
            }
            return b.build(t.originalEnd());
        }

        static boolean isWhitespace(int cp) {
            return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
        }

        static boolean isControl(int cp) {
            if (cp == '\t' || cp == '\n' || cp == '\r') {
                return false;
            }
            int type = Character.getType(cp);
            return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                    || type == Character.SURROGATE || type == Character.UNASSIGNED;
        }

        static boolean isChinese(int cp) {
            return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                    || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                    || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                    || (cp >= 0x2F800 && cp <= 0x2FA1F);
        }
    }

    record Lowercase() implements Normalizer {
        @Override
        public Text apply(Text t) {
            Text.Builder b = new Text.Builder();
            String s = t.chars();
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                b.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT), t.origin()[i]);
                i += Character.charCount(cp);
            }
            return b.build(t.originalEnd());
        }
    }

    /** Unicode normalisation form per code point (NFC, NFKC, NFD, NFKD). */
    record Unicode(Form form) implements Normalizer {
        @Override
        public Text apply(Text t) {
            Text.Builder b = new Text.Builder();
            String s = t.chars();
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                b.append(java.text.Normalizer.normalize(new String(Character.toChars(cp)), form), t.origin()[i]);
                i += Character.charCount(cp);
            }
            return b.build(t.originalEnd());
        }
    }

    record Sequence(List<Normalizer> steps) implements Normalizer {
        @Override
        public Text apply(Text t) {
            for (Normalizer n : steps) {
                t = n.apply(t);
            }
            return t;
        }
    }
}
