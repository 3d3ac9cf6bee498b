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

    /**
     * tokenizer.json's "Precompiled" (SentencePiece's character map, as Hugging Face tokenizers applies it): per
     * grapheme cluster, a cluster of under 6 UTF-8 bytes with a mapped prefix becomes that prefix's replacement (the
     * shortest mapped prefix, replacing the whole cluster: Hugging Face's rule, which is not SentencePiece's
     * longest-match over bytes); otherwise each code point is replaced when mapped, else kept.
     */
    record Precompiled(Charsmap map) implements Normalizer {
        @Override
        public Text apply(Text t) {
            String s = t.chars();
            Text.Builder b = new Text.Builder();
            java.text.BreakIterator clusters = java.text.BreakIterator.getCharacterInstance(Locale.ROOT);
            clusters.setText(s);
            int start = clusters.first();
            for (int end = clusters.next(); end != java.text.BreakIterator.DONE; start = end, end = clusters.next()) {
                byte[] bytes = s.substring(start, end).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                int[] whole = bytes.length < 6 ? map.prefixMatch(bytes, 0, false) : null;
                if (whole != null) {
                    b.append(new String(map.replacement(whole[1]), java.nio.charset.StandardCharsets.UTF_8),
                            t.origin()[start]);
                    continue;
                }
                for (int i = start; i < end; ) {
                    int cp = s.codePointAt(i);
                    String c = new String(Character.toChars(cp));
                    int[] m = map.prefixMatch(c.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, false);
                    b.append(m == null ? c : new String(map.replacement(m[1]), java.nio.charset.StandardCharsets.UTF_8),
                            t.origin()[i]);
                    i += c.length();
                }
            }
            return b.build(t.originalEnd());
        }
    }

    /** tokenizer.json's "Replace": every match of a regex (or a literal) becomes {@code content}. */
    record Replace(java.util.regex.Pattern pattern, String content) implements Normalizer {
        @Override
        public Text apply(Text t) {
            String s = t.chars();
            java.util.regex.Matcher m = pattern.matcher(s);
            Text.Builder b = new Text.Builder();
            int at = 0;
            while (m.find()) {
                for (int i = at; i < m.start(); i++) {
                    b.append(String.valueOf(s.charAt(i)), t.origin()[i]);
                }
                if (m.end() > m.start()) {
                    b.append(content, t.origin()[m.start()]);
                }
                at = m.end();
            }
            for (int i = at; i < s.length(); i++) {
                b.append(String.valueOf(s.charAt(i)), t.origin()[i]);
            }
            return b.build(t.originalEnd());
        }
    }

    /** tokenizer.json's "Strip": whitespace removed from the left and/or right end. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public Text apply(Text t) {
            String s = t.chars();
            int from = 0;
            int to = s.length();
            while (left && from < to && Character.isWhitespace(s.charAt(from))) {
                from++;
            }
            while (right && to > from && Character.isWhitespace(s.charAt(to - 1))) {
                to--;
            }
            return new Text(s.substring(from, to), java.util.Arrays.copyOfRange(t.origin(), from, to), t.originalEnd());
        }
    }
}
