#!/usr/bin/env bash
# Refreshes the translation template po/reelcast.pot from the files listed in po/POTFILES.in
# (Rust sources, GtkBuilder .ui files, the desktop file, metainfo and settings schema), then merges it into each po/LANG.po of po/LINGUAS.
# With --pot FILE, only writes the template to FILE (the translations test compares that with
# the committed one).
set -euo pipefail
cd "$(dirname "$0")/.."
out=po/reelcast.pot
merge=true
if [ "${1:-}" = "--pot" ]; then
  out=${2:?--pot needs a file}
  merge=false
fi
command -v xgettext >/dev/null || { echo "xgettext is needed (Debian: gettext)" >&2; exit 1; }

rust=()
ui=()
data=()
js=()
while read -r file; do
  case "$file" in
    '' | '#'*) ;;
    *.rs) rust+=("$file") ;;
    *.ui) ui+=("$file") ;;
    # xgettext knows these by their extension (its rules from glib and appstream)
    *.desktop | *.metainfo.xml | *.gschema.xml) data+=("$file") ;;
    # The viewer page's script: its strings are _("…") calls
    *.js) js+=("$file") ;;
    *) echo "po/POTFILES.in: $file: not a kind of file this script reads" >&2; exit 1 ;;
  esac
done < po/POTFILES.in

common=(--from-code=UTF-8 --package-name=reelcast --add-comments=Translators --sort-by-file
  --no-wrap)
xgettext "${common[@]}" --output="$out" "${ui[@]}"
xgettext "${common[@]}" --join-existing --output="$out" "${data[@]}"
# Rust has no xgettext parser before gettext 0.24: C's lexer reads its calls and literals.
xgettext "${common[@]}" --join-existing --language=C --keyword=gettext --keyword=ngettext:1,2 \
  --keyword=pgettext:1c,2 --output="$out" "${rust[@]}"
xgettext "${common[@]}" --join-existing --language=JavaScript --keyword=_ --output="$out" "${js[@]}"
# No date in the template: it changes only when the strings do.
sed -i -e '/^"POT-Creation-Date: /d' -e 's/^"Content-Type: text\/plain; charset=CHARSET\\n"$/"Content-Type: text\/plain; charset=UTF-8\\n"/' "$out"
$merge || exit 0

while read -r lang; do
  case "$lang" in '' | '#'*) continue ;; esac
  if [ -f "po/$lang.po" ]; then
    msgmerge --quiet --update --backup=none --no-wrap "po/$lang.po" "$out"
  else
    msginit --no-translator --no-wrap --locale="$lang" --input="$out" --output-file="po/$lang.po"
  fi
done < po/LINGUAS
echo "wrote $out"
