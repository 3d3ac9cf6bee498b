package dev.t4j.tokenizer;

/**
 * A string being normalised, with, for every char, the index of the original char it came from, so that tokens
 * can report offsets into the text the user gave. {@code start} is where this text begins in the original.
 */
record Text(String chars, int[] origin, int originalEnd) {
    static Text of(String s, int offset) {
        int[] o = new int[s.length()];
        for (int i = 0; i < o.length; i++) {
            o[i] = offset + i;
        }
        return new Text(s, o, offset + s.length());
    }

    /** Original [start, end) of normalized chars [from, to). */
    int[] span(int from, int to) {
        if (from >= to) {
            int at = from < origin.length ? origin[from] : originalEnd;
            return new int[] {at, at};
        }
        int end = to < origin.length ? origin[to] : originalEnd;
        int start = origin[from];
        // chars expanded from one original char share its index: the span ends after the last one's origin
        int lastOrigin = origin[to - 1];
        return new int[] {start, Math.max(end == start ? lastOrigin + 1 : end, lastOrigin + 1)};
    }

    /** Builds a normalised text char by char, remembering origins. */
    static final class Builder {
        private final StringBuilder sb = new StringBuilder();
        private int[] origin = new int[16];

        void append(CharSequence s, int from) {
            for (int i = 0; i < s.length(); i++) {
                if (sb.length() == origin.length) {
                    origin = java.util.Arrays.copyOf(origin, origin.length * 2);
                }
                origin[sb.length()] = from;
                sb.append(s.charAt(i));
            }
        }

        void appendCodePoint(int cp, int from) {
            append(new String(Character.toChars(cp)), from);
        }

        Text build(int originalEnd) {
            return new Text(sb.toString(), java.util.Arrays.copyOf(origin, sb.length()), originalEnd);
        }
    }
}
