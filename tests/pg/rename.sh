#!/usr/bin/env bash
# renamed_from: a column and a table renamed in YAML are renamed in the
# database (ALTER TABLE ... RENAME), their rows kept, instead of a drop and
# an add.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

seed_applied
q "INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'a@example.com', 'Ada'),
	(gen_random_uuid(), 'b@example.com', 'Bob')"
new_orders
reimport
run 0 sfs migrate apply
q "INSERT INTO orders VALUES (1), (2), (3)"

# users.name -> users.display_name; orders -> purchases
sed -i 's/^  - name: name$/  - name: display_name\n    renamed_from: name/' "$WORK/schemas/users.yaml"
sed -i 's/^name: orders$/name: purchases\nrenamed_from: orders/' "$WORK/schemas/orders.yaml"
mv "$WORK/schemas/orders.yaml" "$WORK/schemas/purchases.yaml"
run 0 sfs import --prune "$WORK/schemas"   # orders is unregistered, purchases registered
run 0 sfs migrate plan
check_has $'\tALTER TABLE "users" RENAME COLUMN "name" TO "display_name";'
check_has $'\tALTER TABLE "orders" RENAME TO "purchases";'
check_lacks "DROP COLUMN"
check_lacks "DROP TABLE"
run 0 sfs migrate apply
check_has "state: succeeded"
check_eq "the renamed column keeps its values" "Ada,Bob" \
	"$(q "SELECT string_agg(display_name, ',' ORDER BY display_name) FROM users")"
check_eq "the renamed table keeps its rows" 3 "$(q "SELECT count(*) FROM purchases")"
check_eq "the old names are gone" 0 \
	"$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders'")"
run 0 sfs migrate plan
check_has "nothing to do"
