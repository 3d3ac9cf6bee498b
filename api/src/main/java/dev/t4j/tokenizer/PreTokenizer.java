package dev.t4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Splits normalised text into words before the model sees them (tokenizer.json "pre_tokenizer"). */
sealed interface PreTokenizer {
    /** A word: its chars and [start, end) in the normalised text. */
    record Word(String text, int start, int end) {}

    List<Word> split(Text t);

    /** GPT-2's byte-level split: its regex over letters, numbers, other symbols and whitespace runs. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        static final Pattern GPT2 = Pattern.compile(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                Pattern.UNICODE_CHARACTER_CLASS);

        @Override
        public List<Word> split(Text t) {
            String s = t.chars();
            List<Word> out = new ArrayList<>();
            if (!useRegex) {
                out.add(new Word(s, 0, s.length()));
                return out;
            }
            Matcher m = GPT2.matcher(s);
            while (m.find()) {
                out.add(new Word(m.group(), m.start(), m.end()));
            }
            return out;
        }
    }

    /** BERT's: split on whitespace (dropped) and isolate every punctuation char. */
    record Bert() implements PreTokenizer {
        @Override
        public List<Word> split(Text t) {
            String s = t.chars();
            List<Word> out = new ArrayList<>();
            int start = -1;
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                int n = Character.charCount(cp);
                if (Character.isWhitespace(cp) || Character.getType(cp) == Character.SPACE_SEPARATOR || cp == 0x85
                        || cp == 0xA0) {
                    if (start >= 0) {
                        out.add(new Word(s.substring(start, i), start, i));
                        start = -1;
                    }
                } else if (isPunctuation(cp)) {
                    if (start >= 0) {
                        out.add(new Word(s.substring(start, i), start, i));
                        start = -1;
                    }
                    out.add(new Word(s.substring(i, i + n), i, i + n));
                } else if (start < 0) {
                    start = i;
                }
                i += n;
            }
            if (start >= 0) {
                out.add(new Word(s.substring(start), start, s.length()));
            }
            return out;
        }

        static boolean isPunctuation(int cp) {
            if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
                return true;
            }
            int type = Character.getType(cp);
            return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
                    || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
                    || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                    || type == Character.OTHER_PUNCTUATION;
        }
    }

    /** Splits on whitespace runs only. */
    record WhitespaceSplit() implements PreTokenizer {
        @Override
        public List<Word> split(Text t) {
            List<Word> out = new ArrayList<>();
            Matcher m = Pattern.compile("\\S+", Pattern.UNICODE_CHARACTER_CLASS).matcher(t.chars());
            while (m.find()) {
                out.add(new Word(m.group(), m.start(), m.end()));
            }
            return out;
        }
    }
}
