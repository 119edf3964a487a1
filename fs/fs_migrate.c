/*
 * placeholder (fs helper): the pg helper replaces this file with the
 * migrations/ subtree (SPEC §4). Until then migrations/ is an empty
 * directory: the core's route table serves "/migrations" itself.
 */
#include "fs.h"

const struct fs_route fs_migrate_routes[] = {
	{ .pattern = NULL, .kind = FS_ROUTE_DIR },
};
const size_t fs_migrate_nroutes = 0;

int fs_migrate_init(struct fs_ctx *ctx)
{
	(void)ctx;
	return 0;
}

void fs_migrate_destroy(struct fs_ctx *ctx)
{
	(void)ctx;
}
