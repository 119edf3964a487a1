/*
 * fs_util: the small helpers every file of fs/ shares: the one mapping
 * from project errors to errno, reads of a byte snapshot, and the drafts
 * writers edit.
 */
#include "fs_int.h"

#include <errno.h>
#include <string.h>

int fs_errno(int reg_err)
{
	switch (reg_err) {
	case REG_OK: return 0;
	case REG_ENOMEM: return -ENOMEM;
	case REG_EINVAL: return -EINVAL;
	case REG_ENOENT: return -ENOENT;
	case REG_E2BIG: return -EFBIG;
	case REG_EEXIST: return -EEXIST;
	case REG_EBUSY: return -EBUSY;
	case REG_ESTATE: return -EINVAL;
	case REG_EIO:
	default: return -EIO;
	}
}

int fs_read_bytes(const char *bytes, size_t len, char *buf, size_t size, off_t off)
{
	if (off < 0)
		return -EINVAL;
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	if (size > INT_MAX)
		size = INT_MAX;
	memcpy(buf, bytes + off, size);
	return (int)size;
}

int fs_write_draft(struct sbuf *draft, const char *buf, size_t size, off_t off)
{
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off + size > REG_MAX_FILE_SIZE)
		return -EFBIG;
	size_t end = (size_t)off + size;
	if (end > draft->len) {
		if (sbuf_grow(draft, end - draft->len))
			return -ENOMEM;
		memset(draft->buf + draft->len, 0, end - draft->len);
		draft->len = end;
		draft->buf[end] = '\0';
	}
	memcpy(draft->buf + off, buf, size);
	return (int)size;
}

int fs_truncate_draft(struct sbuf *draft, off_t size)
{
	if (size < 0)
		return -EINVAL;
	if ((uint64_t)size > REG_MAX_FILE_SIZE)
		return -EFBIG;
	if ((size_t)size <= draft->len) {
		draft->len = (size_t)size;
		if (draft->alloc)
			draft->buf[size] = '\0';
		else
			sbuf_reset(draft);
		return 0;
	}
	size_t extra = (size_t)size - draft->len;
	if (sbuf_grow(draft, extra))
		return -ENOMEM;
	memset(draft->buf + draft->len, 0, extra);
	draft->len = (size_t)size;
	draft->buf[size] = '\0';
	return 0;
}
