#!/bin/bash
# The front door: commands, help, version, a new database, and what
# `meson install` puts in place (man pages, completion, examples).
. "$(dirname "$0")/../lib.sh"

# an unknown word is never a mountpoint: the nearest command, exit 2
run 2 "$BIN" chek "$SRC/examples/aegis"
check_eq "a typo names the nearest command" \
	"schemafs: 'chek' is not a command; did you mean 'check'?" "$(cat "$WORK/err")"
check_empty "$WORK/out"
run 2 "$BIN" frobnicate
check_has "'frobnicate' is not a command"
check_lacks "bad mount point"
run 2 "$BIN" help chek
check_has "did you mean 'check'?"

# help: every command, including migrate's subcommands
run 0 "$BIN" help
cp "$WORK/out" "$WORK/help.txt"
run 0 "$BIN" --help
check_file_eq "--help is help" "$WORK/help.txt" "$WORK/out"
for cmd in check order graph dependents cycles docs erd diff lint import export import-sql \
	migrate mount help version; do
	check_match "$WORK/help.txt" "^  $cmd( |$)"
	run 0 "$BIN" help "$cmd"
	cp "$WORK/out" "$WORK/help-$cmd.txt"
	check_contains "$WORK/help-$cmd.txt" "usage: schemafs"
	check_contains "$WORK/help-$cmd.txt" "exit status"
	run 0 "$BIN" "$cmd" --help
	check_file_eq "$cmd --help is help $cmd" "$WORK/help-$cmd.txt" "$WORK/out"
done
check_contains "$WORK/help.txt" "migrate plan|check|impact|apply|rollback|status|log|pending|applied"
run 0 "$BIN" migrate plan --help
check_file_eq "migrate plan --help is migrate's help" "$WORK/help-migrate.txt" "$WORK/out"
for what in "--db FILE" "-o db=FILE" "-o loglevel=" SCHEMAFS_DB SCHEMAFS_TARGET "FUSE options:" \
	"--examples DIR" "--create"; do
	check_contains "$WORK/help-mount.txt" "$what"
done
check_match "$WORK/help-mount.txt" "^ +-o max_idle_threads"   # libfuse's own options

# version: schemafs's (meson's project version), then libfuse's
version=$(sed -n "s/^  version : '\(.*\)',/\1/p" "$SRC/meson.build")
for form in version --version -V; do
	run 0 "$BIN" $form
	check_eq "$form: first line" "schemafs version $version" "$(head -n 1 "$WORK/out")"
	check_match "$WORK/out" "^FUSE library version 3\.[0-9]+"
done

# options before the command go to it
run 0 "$BIN" import --db "$DB" "$SRC/examples/aegis"
run 0 "$BIN" --db "$DB" migrate status
check_stdout "no runs yet"

# a mistyped --db: no directories, no registry, no examples
mkdir -p "$WORK/mp"
run 1 "$BIN" mount --db "$WORK/no/such/dir/x.db" "$WORK/mp"
check_has "$WORK/no/such/dir/x.db: no directory '$WORK/no/such/dir'"
check "no directory made" test ! -e "$WORK/no"
run 1 "$BIN" --db "$WORK/no/such/dir/x.db" "$WORK/mp"
check "no directory made (schemafs MNT)" test ! -e "$WORK/no"
# --create makes them and says so; a new registry holds no examples (the
# mount itself then fails: FUSE refuses an unknown option, after the store
# is open and before anything is mounted)
run 1 "$BIN" mount --create --db "$WORK/new/dir/x.db" -o no_such_fuse_option "$WORK/mp"
check_has "unknown option"
check_has "schemafs: creating a new registry at $WORK/new/dir/x.db"
check "--create made the directories" test -d "$WORK/new/dir"
run 0 "$BIN" export --db "$WORK/new/dir/x.db" "$WORK/exported"
check_eq "a new registry is empty" "" "$(ls "$WORK/exported" | grep -v '^registry.yaml$')"

# the manual pages render without warnings
for page in schemafs.1 schemafs.yaml.5; do
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$SRC/docs/$page" >"$WORK/man.out" 2>"$WORK/man.err"
		check_empty "$WORK/man.err"
		check_contains "$WORK/man.out" "SEE ALSO"
	else
		skip_part "man"
	fi
done

# meson install puts every file in place; the installed binary's examples
# are the installed ones
build=$(cd "$(dirname "${SCHEMAFS_BIN:-$SRC/build/cli/schemafs}")/.." && pwd)
if command -v meson >/dev/null && [ -f "$build/build.ninja" ]; then
	prefix=$(meson introspect --buildoptions "$build" |
		python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
	D=$WORK/dest
	run 0 meson install -C "$build" --no-rebuild --quiet --destdir "$D"
	for f in bin/schemafs share/man/man1/schemafs.1 share/man/man5/schemafs.yaml.5 \
		share/bash-completion/completions/schemafs share/schemafs/examples/aegis/users.yaml \
		share/schemafs/examples/aegis/registry.yaml share/doc/schemafs/examples/schemafs@.service \
		share/doc/schemafs/examples/fstab.example; do
		check "installed: $f" test -s "$D$prefix/$f"
	done
	run 0 env -u SCHEMAFS_EXAMPLES "$D$prefix/bin/schemafs" help mount
	check_has "--seed imports $prefix/share/schemafs/examples/aegis"
	run 0 env -u SCHEMAFS_EXAMPLES "$SCHEMAFS_BIN" help mount
	check_has "--seed imports $SRC/examples/aegis"
	# the completion completes commands and migrate's subcommands
	complete_words() {
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _schemafs
			printf "%s\n" "${COMPREPLY[@]}"' _ "$D$prefix/share/bash-completion/completions/schemafs" "$@"
	}
	check_eq "completion: schemafs mi" migrate "$(complete_words schemafs mi)"
	check_eq "completion: schemafs migrate ap" "apply applied" "$(complete_words schemafs migrate ap | tr '\n' ' ' | sed 's/ $//')"
else
	skip_part "meson and a build directory"
fi
