# Sourced by ./mvnw and ./t4j: finds a JDK >= 25 and exports JAVA_HOME.
# Order: $JAVA_HOME, the java on PATH, then the usual install folders. Fails fast, saying what it saw.
t4j_java_feature() { # prints the feature release of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
t4j_find_jdk() {
  seen=""
  for cand in ${JAVA_HOME:+"$JAVA_HOME"} \
              "$(command -v java >/dev/null 2>&1 && dirname "$(dirname "$(readlink -f "$(command -v java)")")")" \
              /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/* \
              /opt/java/* /opt/jdk* /usr/local/java/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    v=$(t4j_java_feature "$cand/bin/java")
    seen="$seen $cand(java $v)"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      JAVA_HOME="$cand"; export JAVA_HOME
      return 0
    fi
  done
  echo "t4j: no JDK >= 25 found. Looked at JAVA_HOME, PATH and the usual folders; saw:${seen:- nothing}." >&2
  echo "t4j: install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}
case $- in *f*) t4j_noglob=1 ;; *) t4j_noglob= ;; esac
set +f  # the search below needs globbing even where the caller turned it off
t4j_find_jdk || exit 1
[ -z "$t4j_noglob" ] || set -f
