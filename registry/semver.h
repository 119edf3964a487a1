/*
 * semver: semantic versions (semver.org 2.0.0), parsed and compared.
 *
 * Validity is validate.h's reg_validate_semver (MAJOR.MINOR.PATCH, no
 * leading zeros, optional -prerelease and +build); this module gives the
 * numbers, the precedence order and the bumps the contract rules need.
 * Pure and allocation-free except semver_bump (which appends to an sbuf).
 */
#ifndef SCHEMAFS_SEMVER_H
#define SCHEMAFS_SEMVER_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct semver {
	uint64_t major, minor, patch;
	const char *pre;  /* the prerelease after '-', borrowed from the text; NULL when none */
	size_t pre_len;   /* build metadata (+...) is ignored, as precedence ignores it */
};

/* The size of change a bump expresses, least to most significant. */
enum semver_level {
	SEMVER_NONE,  /* same MAJOR.MINOR.PATCH */
	SEMVER_PATCH,
	SEMVER_MINOR,
	SEMVER_MAJOR,
};

/* Fills *out from text (which must outlive *out: pre points into it).
 * Returns 0, or REG_EINVAL when text is NULL, not valid semver, or a
 * number does not fit 64 bits. */
int semver_parse(const char *text, struct semver *out);
/* Precedence (semver §11): <0, 0, >0. Prerelease identifiers compare
 * numerically when both are numeric, numeric ones before alphanumeric,
 * and a release is above its prereleases. Build metadata never counts. */
int semver_cmp(const struct semver *a, const struct semver *b);
/* The most significant part of MAJOR.MINOR.PATCH that grew from old to
 * new (prereleases aside): 1.2.3 -> 1.3.0 is SEMVER_MINOR; SEMVER_NONE when
 * the core did not grow (equal, or lower: see semver_cmp for "lower"). */
enum semver_level semver_bump_level(const struct semver *old, const struct semver *new_);
/* Appends the smallest release that is a bump of level from v: MAJOR
 * 1.2.3 -> 2.0.0, MINOR -> 1.3.0, PATCH -> 1.2.4, NONE -> 1.2.3 (the core
 * of v). Returns sbuf_error(out). */
int semver_bump(const struct semver *v, enum semver_level level, struct sbuf *out);
/* "MAJOR", "MINOR", "PATCH", "no" */
const char *semver_level_name(enum semver_level level);

#endif
