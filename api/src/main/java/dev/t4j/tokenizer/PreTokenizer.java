package dev.t4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Splits normalised text into words before the model sees them (tokenizer.json "pre_tokenizer"). */
sealed interface PreTokenizer {
    /**
     * A word: its chars and [start, end) in the normalised text; its first {@code lead} chars have no source there
     * (Metaspace's prepended "▁").
     */
    record Word(String text, int start, int end, int lead) {
        Word(String text, int start, int end) {
            this(text, start, end, 0);
        }
    }

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

    /**
     * tokenizer.json's "Sequence": each pre-tokenizer splits every word the one before it made (T5's file:
     * WhitespaceSplit, then Metaspace on each word).
     */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public List<Word> split(Text t) {
            List<Word> words = List.of(new Word(t.chars(), 0, t.chars().length()));
            for (PreTokenizer step : steps) {
                List<Word> next = new ArrayList<>();
                for (Word w : words) {
                    if (w.lead() > 0) {
                        throw new IllegalStateException("a pre-tokenizer after Metaspace is not supported");
                    }
                    Text part = new Text(w.text(), java.util.Arrays.copyOfRange(t.origin(), w.start(), w.end()),
                            w.end() < t.origin().length ? t.origin()[w.end()] : t.originalEnd());
                    for (Word x : step.split(part)) {
                        next.add(new Word(x.text(), w.start() + x.start(), w.start() + x.end(), x.lead()));
                    }
                }
                words = next;
            }
            return words;
        }
    }

    /**
     * SentencePiece's word marking (tokenizer.json "Metaspace"): every space becomes "▁", a "▁" is put in front
     * when the text does not start with one ({@code prepend}), and the text is split before each "▁" (when
     * {@code split}), so each word carries its own leading "▁".
     */
    record Metaspace(char replacement, boolean prepend, boolean split, boolean firstOnly) implements PreTokenizer {
        Metaspace(char replacement, boolean prepend, boolean split) {
            this(replacement, prepend, split, false);
        }

        @Override
        public List<Word> split(Text t) {
            String s = t.chars().replace(' ', replacement);
            // prepend_scheme "first": only where the text begins the input (Hugging Face checks the original offset)
            boolean here = prepend && (!firstOnly || t.origin().length > 0 && t.origin()[0] == 0);
            int lead = here && !s.startsWith(String.valueOf(replacement)) ? 1 : 0;
            String marked = lead == 1 ? replacement + s : s;
            List<Word> out = new ArrayList<>();
            if (!split) {
                out.add(new Word(marked, 0, s.length(), lead));
                return out;
            }
            int from = 0;
            for (int i = 1; i <= marked.length(); i++) {
                if (i == marked.length() || marked.charAt(i) == replacement) {
                    int start = Math.max(0, from - lead);
                    out.add(new Word(marked.substring(from, i), start, i - lead, from == 0 ? lead : 0));
                    from = i;
                }
            }
            return out;
        }
    }
}
