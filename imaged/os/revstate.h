/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REVSTATE_H
#define KEEL_REVSTATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Workload revisions (imaged/README.md, "Workload revisions"): what this
 * host keeps of them, one small file written whole (REV_STATE, lines of
 * "key value"):
 *
 *   current 2          the revision whose objects run (0: none)
 *   applying 3         a transaction under way (0: none); a daemon that
 *                      starts and finds it goes back to current
 *   rejected 3         the highest revision refused or rolled back here
 *   outcome rolled_back  the last one: applied, rolled_back, refused
 *   at 2026-12-07T01:02:03Z
 *   reason ...         why, one line
 *
 * Each revision's file is REV_DIR/<n>.yaml as the channel served it.
 * Pure but for the last two: parse, format and the decision a poll
 * makes; the file read and written.
 */

#define REV_DIR "/var/lib/keel/revisions"
#define REV_STATE REV_DIR "/state"
#define REV_REASON_MAX 512

struct rev_state {
	long long current, applying, rejected; /* 0: none */
	char outcome[16]; /* "" before the first */
	char at[32]; /* RFC 3339, when the outcome came */
	char reason[REV_REASON_MAX];
};

/* text (the file) into st; 0, or -EINVAL with err naming the line. */
int rev_state_parse(struct rev_state *st, const char *text, char *err,
		    size_t errlen);

/* st as the file holds it: its length, or -ENOSPC. */
int rev_state_format(const struct rev_state *st, char *out, size_t len);

enum rev_verdict {
	REV_TAKE, /* apply it now */
	REV_CURRENT, /* it runs, or an older one was offered */
	REV_REJECTED, /* refused or rolled back here: a higher one is awaited */
	REV_WAITS, /* this host's rollout slot is not reached yet */
	REV_BUSY, /* another one is being applied */
};

/* What a poll does with revision rev at rollout% (this host at slot). */
enum rev_verdict rev_wanted(const struct rev_state *st, long long rev,
			    int rollout, int slot);

/*
 * A revision file with no object: blank lines, comments and "---" alone
 * (a revision that removes every object the channel manages).
 */
bool rev_text_empty(const char *text, size_t len);

/* REV_DIR/<rev>.yaml */
void rev_file(long long rev, char *out, size_t len);

/*
 * The files: REV_STATE read (none yet: all 0; a bad one is logged and
 * taken as none), and written whole (write_atomic). 0 or -errno.
 */
void rev_state_load(struct rev_state *st);
int rev_state_save(const struct rev_state *st);

#endif
