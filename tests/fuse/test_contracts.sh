#!/bin/bash
# Data contracts through the mount (SPEC §1.2, §3; docs/contracts.md): a
# save that breaks its compatibility mode or its semver rule is refused by
# cp, sed -i and vim like any local error, accepted with the MAJOR bump; the
# seed's scenario §5.2; services/<service>.yaml and its views.
. "$(dirname "$0")/../lib.sh"
need_fuse vim sed python3
mount_fs
cd "$MNT/schemas"
U=$SCHEMAFS_EXAMPLES/users.yaml

# users.yaml with id a BIGINT (every foreign key to it reads it), version $1
id_bigint() {
	sed -e '0,/type: UUID/s//type: BIGINT/' -e "s/^version: .*/version: $1/" "$U"
}
# users.yaml with a nullable profile_image_url, version $1 (the seed's §5.2)
with_profile() {
	python3 - "$U" "$1" <<'PY'
import sys
s = open(sys.argv[1], encoding='utf-8').read().replace('version: 1.0.0', 'version: ' + sys.argv[2], 1)
s = s.replace('\nreferences: []', '''
  - name: profile_image_url
    type: VARCHAR(500)
    nullable: true
    description: profile picture

references: []''', 1)
sys.stdout.write(s)
PY
}
# users.yaml without email (and its index), version $1
without_email() {
	python3 - "$U" "$1" <<'PY'
import re, sys
s = open(sys.argv[1], encoding='utf-8').read().replace('version: 1.0.0', 'version: ' + sys.argv[2], 1)
s = re.sub(r'  - name: email\n(    .*\n)+  \n', '', s, count=1)
s = re.sub(r'  - name: idx_users_email\n(    .*\n)+  \n', '', s, count=1)
sys.stdout.write(s)
PY
}
vim_put() { # FILE: replaces users.yaml with FILE's bytes, as vim saves
	vim -u NONE -N -n -es -c '%d' -c "0r $1" -c 'wq' users.yaml </dev/null 2>&1
}
expect_refused() { # TOOL RC
	check "$1: the save fails (rc=$2)" [ "$2" != 0 ]
	check "$1: previous bytes stay" cmp users.yaml "$U"
	check_match ../validation "^schemas/users.yaml:[0-9]+:[0-9]+: error: changing the type of column 'id' from uuid to int8 breaks application-service .* under BACKWARD; bump version to 2.0.0"
	ls -A | grep -vE '^[a-z_]+\.yaml$' | while read -r f; do rm -f -- "$f"; done
}
back_to_seed() {
	check "back to the seed's users.yaml" cp "$U" users.yaml
}

# ---- a breaking change without its MAJOR bump: refused by every tool
id_bigint 1.0.0 >"$WORK/break.yaml"
cp "$WORK/break.yaml" users.yaml 2>"$WORK/err"; expect_refused cp $?
sed -i -e '0,/type: UUID/s//type: BIGINT/' users.yaml 2>"$WORK/err"; expect_refused "sed -i" $?
vim_put "$WORK/break.yaml" >"$WORK/err"; rc=$?
grep -qiE 'error|fail' "$WORK/err" && rc=${rc/#0/1}
expect_refused vim $rc
check "the refused save is in no history" [ "$(ls ../history/users | wc -l)" = 1 ]

# ---- ... accepted with it
id_bigint 2.0.0 >"$WORK/major.yaml"
check "cp: accepted with version 2.0.0" cp "$WORK/major.yaml" users.yaml
check "cp: the new bytes" cmp users.yaml "$WORK/major.yaml"
check_match ../validation "^schemas/users.yaml:[0-9]+:[0-9]+: warning: changing the type of column 'id' .*accepted as a MAJOR change \(1.0.0 -> 2.0.0\)"
check_contains ../changes/users "changing the type of column 'id' from uuid to int8"
back_to_seed
check "changes/users is empty again" [ ! -s ../changes/users ]
check "validation has no warning left on users" bash -c '! grep -q "^schemas/users.yaml" ../validation'
check "sed -i: accepted with the bump" \
	sed -i -e '0,/type: UUID/s//type: BIGINT/' -e 's/^version: .*/version: 2.0.0/' users.yaml
check "sed -i: the new bytes" cmp users.yaml "$WORK/major.yaml"
back_to_seed
out=$(vim_put "$WORK/major.yaml"); check "vim: accepted with the bump ($out)" [ $? = 0 ]
check "vim: the new bytes" cmp users.yaml "$WORK/major.yaml"
ls -A | grep -vE '^[a-z_]+\.yaml$' | while read -r f; do rm -f -- "$f"; done
back_to_seed

# ---- the seed's §5.2: profile_image_url, nullable, 1.1.0
with_profile 1.0.0 >"$WORK/p100.yaml"
with_profile 1.1.0 >"$WORK/p110.yaml"
check_fails "profile_image_url at 1.0.0 is refused" cp "$WORK/p100.yaml" users.yaml
check_match ../validation "^schemas/users.yaml:[0-9]+:[0-9]+: error: adding nullable column 'profile_image_url' is additive, a MINOR change: bump version to 1.1.0 \(is 1.0.0\)"
check "profile_image_url at 1.1.0 is accepted" cp "$WORK/p110.yaml" users.yaml
check "validation clean on users" bash -c '! grep -q "^schemas/users.yaml" ../validation'
check_match ../changes/users "note: adding nullable column 'profile_image_url' is additive, a MINOR change \(1.0.0 -> 1.1.0\)"
back_to_seed

# ---- services files
cd "$MNT"
check "services/ lists every owner as a directory" bash -c 'ls services | grep -qx user-service'
check_eq "user-service owns" "users" "$(cat services/user-service/owns)"
check_eq "user-service's dependents: the FK readers" \
	"application-service audit-service notification-service policy-service" \
	"$(tr '\n' ' ' <services/user-service/dependents | sed 's/ $//')"
cat >"$WORK/notif.yaml" <<'YAML'
name: notification-service
description: sends the e-mails
reads: [users.email, users.name]
writes: [audit_logs]
YAML
check "cp a services file" cp "$WORK/notif.yaml" services/notification-service.yaml
check "its bytes" cmp services/notification-service.yaml "$WORK/notif.yaml"
check_line services/notification-service/reads "users.email	read services/notification-service.yaml:3"
check_line services/notification-service/writes "audit_logs	write services/notification-service.yaml:4"
check_line dependents/users notification-service
check_line dependents/audit_logs notification-service
check_json dependents.json
check_eq "dependents.json says why" "read" \
	"$(jq -r '.users.uses[] | select(.column == "email") | .why' dependents.json)"

without_email 1.1.0 >"$WORK/noemail.yaml"
check_fails "dropping users.email that notification-service reads is refused" \
	cp "$WORK/noemail.yaml" schemas/users.yaml
check_match validation "^schemas/users.yaml:[0-9]+:[0-9]+: error: removing column 'email' breaks notification-service \(reads users.email in services/notification-service.yaml:3\) under BACKWARD; bump version to 2.0.0 or keep the column"
check "users.yaml unchanged" cmp schemas/users.yaml "$U"

printf 'name: notification-service\nreeds: [users.email]\n' >"$WORK/typo.yaml"
check_fails "a services file with an unknown key is refused" cp "$WORK/typo.yaml" services/notification-service.yaml
check_match validation "^services/notification-service.yaml:2:1: error: unknown key 'reeds' in service \(did you mean 'reads'\?\)"
check "the previous services file stays" cmp services/notification-service.yaml "$WORK/notif.yaml"
printf 'name: notification-service\nreads: [users.emial]\n' >"$WORK/ghost.yaml"
check "a services file naming a missing column is accepted" cp "$WORK/ghost.yaml" services/notification-service.yaml
check_match validation "^services/notification-service.yaml:2:9: error: service 'notification-service' reads column 'users.emial', which schemas/users.yaml does not declare"
check "rm a services file" rm services/notification-service.yaml
check "it is gone" [ ! -e services/notification-service.yaml ]
check "validation forgets it" bash -c '! grep -q "^services/" validation'

# ---- the mode
check "compatibility NONE in registry.yaml" \
	sed -i 's/^description:/compatibility: NONE\ndescription:/' registry.yaml
id_bigint 1.1.0 >"$WORK/minor.yaml"
check "under NONE the breaking change needs no MAJOR bump" cp "$WORK/minor.yaml" schemas/users.yaml
check_match validation "^schemas/users.yaml:[0-9]+:[0-9]+: warning: changing the type of column 'id' from uuid to int8 is breaking for readers and writers \(it breaks application-service .*; NONE checks nothing\), a MINOR change \(1.0.0 -> 1.1.0\)"
back_to_seed_root() { cp "$U" schemas/users.yaml; }
check "back to the seed" back_to_seed_root
check "BACKWARD again" sed -i '/^compatibility: NONE/d' registry.yaml
check_fails "then it is refused again" cp "$WORK/minor.yaml" schemas/users.yaml
printf 'compatibility: NONE\n' >"$WORK/none.yaml"
cat "$U" >>"$WORK/none.yaml"
sed -i 's/^version: .*/version: 1.1.0/; 0,/type: UUID/s//type: BIGINT/' "$WORK/none.yaml"
check "a table's own compatibility: NONE overrides the registry's" cp "$WORK/none.yaml" schemas/users.yaml
check "back to the seed" back_to_seed_root
check_fails "an unknown mode is refused" sed -i 's/^description:/compatibility: BACKWRD\ndescription:/' registry.yaml
check_match validation "^registry.yaml:[0-9]+:[0-9]+: error: invalid compatibility 'BACKWRD' \(did you mean 'BACKWARD'\?\)"
cd "$WORK"
