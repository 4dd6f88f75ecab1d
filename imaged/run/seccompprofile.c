// SPDX-License-Identifier: MIT
/*
 * A seccomp profile file (OCI runtime spec, config-linux.md "Seccomp";
 * Docker's profiles add archMap, the single "name" and includes/excludes)
 * read with cJSON and written as classic BPF.
 *
 * What a profile means is what runc makes of it through libseccomp:
 * each entry adds one rule per call it names, its args ANDed; when two
 * args name the same index, runc adds each as a rule of its own (ORed)
 * instead, and so do we. A call with a rule without args takes that
 * rule's action whatever else names it (libseccomp keeps the shorter
 * rule); otherwise its rules are tried in the order written, and the
 * first whose args all hold decides. A call no rule names, or one whose
 * rules do not hold, gets defaultAction; a rule whose action is
 * defaultAction is dropped, as runc drops it. A name this architecture
 * has no call for is skipped, as libseccomp does. Unless defaultAction
 * lets calls through, a call numbered past every call the profile names
 * gets ENOSYS, as runc's patchbpf answers it.
 *
 * The program: the architecture first, as the default filter's (another
 * ABI is killed, x32 answered ENOSYS), then each call with a rule, in
 * ascending order: runs of consecutive calls with one plain action as a
 * range test, a call with args as a block of its own. Every jump is
 * short and forward; the rest falls through to defaultAction.
 */
#include "run/seccompprofile.h"
#include "errmsg.h"
#include "oci/json.h"
#include "run/bpf.h"
#include "run/syscalltab.h"

#include <asm/unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARGS_MAX 6 /* seccomp_data's */

enum op { EQ, NE, LT, LE, GT, GE, MASKED_EQ };

/* each operator's name, and its length in instructions (cond() below) */
static const struct {
	const char *name;
	int len;
} ops[] = {
	[EQ] = { "SCMP_CMP_EQ", 4 },
	[NE] = { "SCMP_CMP_NE", 4 },
	[LT] = { "SCMP_CMP_LT", 5 },
	[LE] = { "SCMP_CMP_LE", 5 },
	[GT] = { "SCMP_CMP_GT", 5 },
	[GE] = { "SCMP_CMP_GE", 5 },
	[MASKED_EQ] = { "SCMP_CMP_MASKED_EQ", 6 },
};

struct cond {
	unsigned index;
	enum op op;
	uint64_t value, value2;
};

struct rule {
	int nr;
	size_t order; /* where it was written: ties keep it */
	size_t entry; /* its syscalls[] index, for errors */
	uint32_t action;
	size_t n_conds;
	struct cond conds[ARGS_MAX];
};

struct ctx {
	char *err;
	size_t errlen;
	uint32_t def;
	size_t named, known; /* calls named, and named that exist here */
	int top; /* the highest number named, -1 for none */
	size_t n_rules;
	struct rule rules[SECCOMP_RULES_MAX];
};

static int fail(struct ctx *c, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const char *where, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return errmsg(c->err, c->errlen, -EINVAL, "%s: %s", where, what);
}

/* o is an object whose members are all in known, each once */
static int members(struct ctx *c, const char *where, const cJSON *o,
		   const char *const *known)
{
	if (!cJSON_IsObject(o))
		return fail(c, where, "not an object");
	for (const cJSON *m = o->child; m; m = m->next) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], m->string))
			i++;
		if (!known[i])
			return fail(c, where, "unknown field \"%.40s\"",
				    m->string);
		for (const cJSON *d = m->next; d; d = d->next)
			if (!strcmp(d->string, m->string))
				return fail(c, where, "\"%.40s\" twice",
					    m->string);
	}
	return 0;
}

/*
 * A whole number from 0 to max. cJSON holds numbers as doubles, exact
 * only to 2^53: a larger value is refused rather than rounded.
 */
static int number(struct ctx *c, const char *where, const cJSON *v,
		  uint64_t max, uint64_t *out)
{
	double d = v->valuedouble;

	if (!cJSON_IsNumber(v))
		return fail(c, where, "not a number");
	/* (past 2^53 first: a cast of a double past 2^64 is undefined) */
	if (d < 0 || d > 9007199254740992.0 || d != (double)(uint64_t)d ||
	    (uint64_t)d > max)
		return fail(c, where, "not a whole number from 0 to %llu",
			    (unsigned long long)(max < (1ULL << 53)
							 ? max
							 : 1ULL << 53));
	*out = (uint64_t)d;
	return 0;
}

/* An errno: what the kernel lets a filter return (MAX_ERRNO) */
static int errno_ret(struct ctx *c, const char *where, const cJSON *v,
		     uint32_t *out)
{
	uint64_t n;
	int r = number(c, where, v, 4095, &n);

	*out = (uint32_t)n;
	return r;
}

/*
 * An action by its libseccomp name, ret its errno when it has one
 * (NULL: EPERM). SCMP_ACT_TRACE hands the call to a ptrace tracer; keel
 * attaches none, and without one the kernel answers ENOSYS: that is
 * what it is here, whoever traces the process.
 */
static int action(struct ctx *c, const char *where, const cJSON *v,
		  const cJSON *ret, const char *ret_where, uint32_t *out)
{
	uint32_t e = EPERM;
	const char *s = cJSON_GetStringValue(v);

	if (!s)
		return fail(c, where, "not a string");
	if (ret && cJSON_IsNull(ret))
		ret = NULL;
	/* (TRACE's is the tracer's to read: none here) */
	if (ret && strcmp(s, "SCMP_ACT_ERRNO") && strcmp(s, "SCMP_ACT_TRACE"))
		return fail(c, ret_where,
			    "goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE only");
	if (ret && !cJSON_IsNumber(ret))
		return fail(c, ret_where, "not a number");
	if (!strcmp(s, "SCMP_ACT_ALLOW"))
		*out = SECCOMP_RET_ALLOW;
	else if (!strcmp(s, "SCMP_ACT_ERRNO")) {
		if (ret && errno_ret(c, ret_where, ret, &e))
			return -EINVAL;
		*out = SECCOMP_RET_ERRNO | e;
	} else if (!strcmp(s, "SCMP_ACT_KILL") ||
		   !strcmp(s, "SCMP_ACT_KILL_THREAD"))
		*out = SECCOMP_RET_KILL_THREAD;
	else if (!strcmp(s, "SCMP_ACT_KILL_PROCESS"))
		*out = SECCOMP_RET_KILL_PROCESS;
	else if (!strcmp(s, "SCMP_ACT_TRAP"))
		*out = SECCOMP_RET_TRAP;
	else if (!strcmp(s, "SCMP_ACT_LOG"))
		*out = SECCOMP_RET_LOG;
	else if (!strcmp(s, "SCMP_ACT_TRACE"))
		*out = SECCOMP_RET_ERRNO | ENOSYS;
	else if (!strcmp(s, "SCMP_ACT_NOTIFY"))
		return fail(c, where,
			    "SCMP_ACT_NOTIFY is not supported by keel (no "
			    "listener)");
	else
		return fail(c, where, "\"%.40s\" is not an action", s);
	return 0;
}

static const char *const arg_fields[] = { "index", "value", "valueTwo", "op",
					  NULL };

static int arg(struct ctx *c, const char *where, const cJSON *o,
	       struct cond *out)
{
	char at[160];
	const cJSON *v;
	const char *op;
	uint64_t n;
	size_t i;

	if (members(c, where, o, arg_fields))
		return -EINVAL;
	snprintf(at, sizeof(at), "%.120s.index", where);
	if (!(v = cJSON_GetObjectItemCaseSensitive(o, "index")))
		return fail(c, where, "index is missing");
	if (number(c, at, v, ARGS_MAX - 1, &n))
		return -EINVAL;
	out->index = (unsigned)n;
	snprintf(at, sizeof(at), "%.120s.value", where);
	v = cJSON_GetObjectItemCaseSensitive(o, "value");
	if (v && number(c, at, v, UINT64_MAX, &out->value))
		return -EINVAL;
	snprintf(at, sizeof(at), "%.120s.valueTwo", where);
	v = cJSON_GetObjectItemCaseSensitive(o, "valueTwo");
	if (v && number(c, at, v, UINT64_MAX, &out->value2))
		return -EINVAL;
	snprintf(at, sizeof(at), "%.120s.op", where);
	op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "op"));
	if (!op)
		return fail(c, at, "missing, or not a string");
	for (i = 0; i <= MASKED_EQ && strcmp(op, ops[i].name); i++)
		;
	if (i > MASKED_EQ)
		return fail(c, at,
			    "\"%.40s\" is not an operator (SCMP_CMP_EQ, "
			    "NE, LT, LE, GT, GE, MASKED_EQ)",
			    op);
	out->op = (enum op)i;
	return 0;
}

/* The entry's args, into conds; *split when an index comes twice */
static int args(struct ctx *c, const char *where, const cJSON *a,
		struct cond *conds, size_t *n, bool *split)
{
	char at[160];
	unsigned seen = 0;
	const cJSON *o;

	*n = 0;
	*split = false;
	if (!a || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return fail(c, where, "args: not a list");
	cJSON_ArrayForEach(o, a)
	{
		snprintf(at, sizeof(at), "%.100s.args[%zu]", where, *n);
		if (*n == ARGS_MAX)
			return fail(c, at, "more than %d args", ARGS_MAX);
		if (arg(c, at, o, &conds[*n]))
			return -EINVAL;
		*split |= (seen >> conds[*n].index) & 1;
		seen |= 1u << conds[*n].index;
		(*n)++;
	}
	return 0;
}

/* One call of an entry: its rule, or (split) one rule per arg */
static int add_rules(struct ctx *c, const char *where, size_t entry,
		     const char *name, uint32_t act, const struct cond *conds,
		     size_t n, bool split)
{
	int nr = syscalltab_number(name);
	size_t count = split ? n : 1;

	c->named++;
	if (nr < 0)
		return 0; /* not a call on this architecture */
	c->known++;
	if (nr > c->top)
		c->top = nr;
	/* what it says is what any call gets: a rule of no weight (runc) */
	if (act == c->def)
		return 0;
	if (c->n_rules + count > SECCOMP_RULES_MAX)
		return fail(c, where, "more than %d rules", SECCOMP_RULES_MAX);
	for (size_t i = 0; i < count; i++) {
		struct rule *r = &c->rules[c->n_rules];
		*r = (struct rule){ .nr = nr,
				    .order = c->n_rules,
				    .entry = entry,
				    .action = act,
				    .n_conds = split ? 1 : n };
		memcpy(r->conds, conds + i, r->n_conds * sizeof(*conds));
		c->n_rules++;
	}
	return 0;
}

/* includes/excludes: Docker's conditions on capabilities and kernels */
static int no_conditions(struct ctx *c, const char *where, const cJSON *o)
{
	const char *const *k, *const keys[] = { "includes", "excludes", NULL };
	const cJSON *v;

	for (k = keys; *k; k++) {
		v = cJSON_GetObjectItemCaseSensitive(o, *k);
		if (v && !(cJSON_IsObject(v) && !v->child))
			return fail(c, where,
				    "%s: not supported by keel (it would apply "
				    "the rule whatever the condition)",
				    *k);
	}
	return 0;
}

static const char *const entry_fields[] = { "names",	"name",	    "action",
					    "errnoRet", "args",	    "comment",
					    "includes", "excludes", NULL };

static int entry(struct ctx *c, size_t i, const cJSON *o)
{
	char where[64], at[80], ret_at[80];
	struct cond conds[ARGS_MAX];
	const cJSON *names, *name, *n;
	size_t n_conds;
	uint32_t act;
	bool split;

	snprintf(where, sizeof(where), "syscalls[%zu]", i);
	if (members(c, where, o, entry_fields) || no_conditions(c, where, o))
		return -EINVAL;
	snprintf(at, sizeof(at), "%s.action", where);
	n = cJSON_GetObjectItemCaseSensitive(o, "action");
	if (!n)
		return fail(c, where, "action is missing");
	snprintf(ret_at, sizeof(ret_at), "%s.errnoRet", where);
	if (action(c, at, n, cJSON_GetObjectItemCaseSensitive(o, "errnoRet"),
		   ret_at, &act) ||
	    args(c, where, cJSON_GetObjectItemCaseSensitive(o, "args"), conds,
		 &n_conds, &split))
		return -EINVAL;
	names = cJSON_GetObjectItemCaseSensitive(o, "names");
	name = cJSON_GetObjectItemCaseSensitive(o, "name");
	if (names && name)
		return fail(c, where, "names and name: one or the other");
	if (name) {
		snprintf(at, sizeof(at), "%s.name", where);
		if (!cJSON_IsString(name))
			return fail(c, at, "not a string");
		return add_rules(c, where, i, name->valuestring, act, conds,
				 n_conds, split);
	}
	if (!cJSON_IsArray(names) || !names->child)
		return fail(c, where, "names: missing, or not a list of names");
	size_t k = 0;
	cJSON_ArrayForEach(n, names)
	{
		snprintf(at, sizeof(at), "%s.names[%zu]", where, k++);
		if (!cJSON_IsString(n))
			return fail(c, at, "not a string");
		if (add_rules(c, where, i, n->valuestring, act, conds, n_conds,
			      split))
			return -EINVAL;
	}
	return 0;
}

#if defined(__x86_64__)
#define NATIVE_NAME "SCMP_ARCH_X86_64"
#else
#define NATIVE_NAME "SCMP_ARCH_AARCH64"
#endif

/* list holds this architecture's name: 1, 0 if not, or -EINVAL */
static int has_native(struct ctx *c, const char *where, const cJSON *list)
{
	const cJSON *a;
	size_t i = 0;
	int found = 0;

	if (!cJSON_IsArray(list))
		return fail(c, where, "not a list");
	cJSON_ArrayForEach(a, list)
	{
		char at[80];
		snprintf(at, sizeof(at), "%s[%zu]", where, i++);
		if (!cJSON_IsString(a))
			return fail(c, at, "not a string");
		found |= !strcmp(a->valuestring, NATIVE_NAME);
	}
	return found;
}

static const char *const map_fields[] = { "architecture", "subArchitectures",
					  NULL };

/*
 * architectures, or Docker's archMap: when either is there, this
 * architecture must be in it. The others are not used: a call from
 * another ABI is killed, as under the default filter.
 */
static int arches(struct ctx *c, const cJSON *root)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root,
							     "architectures"),
		    *map = cJSON_GetObjectItemCaseSensitive(root, "archMap"),
		    *m;
	bool any = false;
	int found = 0, r;
	size_t i = 0;

	if (list && !cJSON_IsNull(list)) {
		any = any || cJSON_GetArraySize(list) > 0;
		if ((r = has_native(c, "architectures", list)) < 0)
			return r;
		found |= r;
	}
	if (map && !cJSON_IsNull(map)) {
		if (!cJSON_IsArray(map))
			return fail(c, "archMap", "not a list");
		cJSON_ArrayForEach(m, map)
		{
			char at[80];
			const cJSON *a, *sub;
			snprintf(at, sizeof(at), "archMap[%zu]", i++);
			if (members(c, at, m, map_fields))
				return -EINVAL;
			a = cJSON_GetObjectItemCaseSensitive(m, "architecture");
			if (!cJSON_IsString(a))
				return fail(c, at,
					    "architecture: not a string");
			any = true;
			found |= !strcmp(a->valuestring, NATIVE_NAME);
			sub = cJSON_GetObjectItemCaseSensitive(
				m, "subArchitectures");
			if (sub && (r = has_native(c, at, sub)) < 0)
				return r;
			found |= sub ? r : 0;
		}
	}
	if (any && !found)
		return fail(c, "architectures",
			    "the profile is not for " NATIVE_NAME);
	return 0;
}

static int by_call(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Rules sorted by call, in written order within one. A call with a rule
 * without args keeps that one alone (it decides whatever the others
 * say); two such rules with different actions are refused.
 */
static int settle(struct ctx *c)
{
	size_t i, j, k, out = 0;

	qsort(c->rules, c->n_rules, sizeof(*c->rules), by_call);
	for (i = 0; i < c->n_rules; i = j) {
		const struct rule *plain = NULL;
		for (j = i; j < c->n_rules && c->rules[j].nr == c->rules[i].nr;
		     j++) {
			const struct rule *r = &c->rules[j];
			char where[64];
			if (r->n_conds)
				continue;
			if (plain && plain->action != r->action) {
				snprintf(where, sizeof(where), "syscalls[%zu]",
					 r->entry);
				return fail(c, where,
					    "a call has two rules without args "
					    "and different actions (the other: "
					    "syscalls[%zu])",
					    plain->entry);
			}
			if (!plain)
				plain = r;
		}
		if (plain) {
			c->rules[out++] = *plain;
			continue;
		}
		for (k = i; k < j; k++)
			c->rules[out++] = c->rules[k];
	}
	c->n_rules = out;
	return 0;
}

/*
 * One comparison of a 64-bit argument, a 32-bit half at a time (the
 * high half decides unless equal). Holds: falls through. Fails: jumps
 * to the next rule, after more instructions past this comparison.
 */
static void cond(struct bpf_prog *p, const struct cond *k, int after)
{
	uint32_t hi = (uint32_t)(k->value >> 32), lo = (uint32_t)k->value;
	uint32_t hi2 = (uint32_t)(k->value2 >> 32), lo2 = (uint32_t)k->value2;
	int len = ops[k->op].len;
	/* from the instruction at index j of this comparison */
#define FAIL(j) (len - 1 - (j) + after)
#define PASS(j) (len - 1 - (j))

	bpf_load(p, BPF_OFF_HI(k->index));
	switch (k->op) {
	case EQ:
		bpf_jump(p, BPF_JEQ, hi, 0, FAIL(1));
		bpf_load(p, BPF_OFF_LO(k->index));
		bpf_jump(p, BPF_JEQ, lo, 0, FAIL(3));
		break;
	case NE:
		bpf_jump(p, BPF_JEQ, hi, 0, PASS(1));
		bpf_load(p, BPF_OFF_LO(k->index));
		bpf_jump(p, BPF_JEQ, lo, FAIL(3), 0);
		break;
	case GT:
	case GE:
		bpf_jump(p, BPF_JGT, hi, PASS(1), 0);
		bpf_jump(p, BPF_JEQ, hi, 0, FAIL(2));
		bpf_load(p, BPF_OFF_LO(k->index));
		bpf_jump(p, k->op == GT ? BPF_JGT : BPF_JGE, lo, 0, FAIL(4));
		break;
	case LT:
	case LE:
		/* not GE, not GT */
		bpf_jump(p, BPF_JGT, hi, FAIL(1), 0);
		bpf_jump(p, BPF_JEQ, hi, 0, PASS(2));
		bpf_load(p, BPF_OFF_LO(k->index));
		bpf_jump(p, k->op == LT ? BPF_JGE : BPF_JGT, lo, FAIL(4), 0);
		break;
	case MASKED_EQ: /* (arg & value) == valueTwo */
		bpf_put(p, BPF_ALU | BPF_AND | BPF_K, hi, 0, 0);
		bpf_jump(p, BPF_JEQ, hi2, 0, FAIL(2));
		bpf_load(p, BPF_OFF_LO(k->index));
		bpf_put(p, BPF_ALU | BPF_AND | BPF_K, lo, 0, 0);
		bpf_jump(p, BPF_JEQ, lo2, 0, FAIL(5));
		break;
	}
#undef FAIL
#undef PASS
}

static int rule_len(const struct rule *r)
{
	int n = 1;

	for (size_t i = 0; i < r->n_conds; i++)
		n += ops[r->conds[i].op].len;
	return n;
}

/* A call's rules with args: a block skipped when it is another call */
static void block(struct bpf_prog *p, const struct rule *r, size_t n,
		  uint32_t def)
{
	uint32_t len = 1;

	for (size_t i = 0; i < n; i++)
		len += (uint32_t)rule_len(&r[i]);
	if (len <= 255) {
		bpf_jump(p, BPF_JEQ, (uint32_t)r->nr, 0, (int)len);
	} else {
		bpf_jump(p, BPF_JEQ, (uint32_t)r->nr, 1, 0);
		bpf_put(p, BPF_JMP | BPF_JA, len, 0, 0);
	}
	for (size_t i = 0; i < n; i++) {
		int after = rule_len(&r[i]);
		for (size_t j = 0; j < r[i].n_conds; j++) {
			after -= ops[r[i].conds[j].op].len;
			cond(p, &r[i].conds[j], after);
		}
		bpf_ret(p, r[i].action);
	}
	bpf_ret(p, def);
}

/* Calls lo..hi, all with action: one test */
static void run(struct bpf_prog *p, int lo, int hi, uint32_t action)
{
	if (lo == hi) {
		bpf_jump(p, BPF_JEQ, (uint32_t)lo, 0, 1);
	} else {
		bpf_jump(p, BPF_JGT, (uint32_t)hi, 2, 0);
		bpf_jump(p, BPF_JGE, (uint32_t)lo, 0, 1);
	}
	bpf_ret(p, action);
}

static void emit(struct bpf_prog *p, const struct ctx *c)
{
	size_t i = 0, j;

	bpf_load(p, BPF_OFF_ARCH);
	bpf_jump(p, BPF_JEQ, BPF_NATIVE_ARCH, 1, 0);
	bpf_ret(p, SECCOMP_RET_KILL_PROCESS);
	bpf_load(p, BPF_OFF_NR);
#if defined(__x86_64__)
	/* x32 shares AUDIT_ARCH_X86_64 and sets this bit in the number */
	bpf_jump(p, BPF_JGE, __X32_SYSCALL_BIT, 0, 1);
	bpf_ret(p, SECCOMP_RET_ERRNO | ENOSYS);
#endif
	/*
	 * A call past every call the profile names is newer than the
	 * profile: ENOSYS, so that a libc falls back as on an older kernel,
	 * unless the default lets it through (runc's patchbpf stub)
	 */
	if (c->top >= 0 && c->def != SECCOMP_RET_ALLOW &&
	    c->def != SECCOMP_RET_LOG) {
		bpf_jump(p, BPF_JGT, (uint32_t)c->top, 0, 1);
		bpf_ret(p, SECCOMP_RET_ERRNO | ENOSYS);
	}
	while (i < c->n_rules) {
		const struct rule *r = &c->rules[i];
		for (j = i + 1; j < c->n_rules && c->rules[j].nr == r->nr; j++)
			;
		if (r->n_conds) {
			block(p, r, j - i, c->def);
		} else if (r->action != c->def) {
			/* what follows: the same action, the next call */
			while (j < c->n_rules && !c->rules[j].n_conds &&
			       c->rules[j].action == r->action &&
			       c->rules[j].nr == c->rules[j - 1].nr + 1)
				j++;
			run(p, r->nr, c->rules[j - 1].nr, r->action);
		}
		i = j;
	}
	bpf_ret(p, c->def);
}

static const char *const root_fields[] = { "defaultAction", "defaultErrnoRet",
					   "architectures", "archMap",
					   "syscalls",	    "flags",
					   "comment",	    NULL };

static int profile(struct ctx *c, const cJSON *root)
{
	const cJSON *list, *o, *flags;
	size_t i = 0;

	if (members(c, "profile", root, root_fields) || arches(c, root))
		return -EINVAL;
	flags = cJSON_GetObjectItemCaseSensitive(root, "flags");
	if (flags && !cJSON_IsNull(flags) &&
	    !(cJSON_IsArray(flags) && !flags->child))
		return fail(c, "flags", "not supported by keel");
	if (!(o = cJSON_GetObjectItemCaseSensitive(root, "defaultAction")))
		return fail(c, "profile", "defaultAction is missing");
	if (action(c, "defaultAction", o,
		   cJSON_GetObjectItemCaseSensitive(root, "defaultErrnoRet"),
		   "defaultErrnoRet", &c->def))
		return -EINVAL;
	list = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
	if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list))
		return fail(c, "syscalls", "not a list");
	cJSON_ArrayForEach(o, list)
	{
		if (entry(c, i++, o))
			return -EINVAL;
	}
	if (c->named && !c->known)
		return fail(c, "syscalls",
			    "none of the %zu calls it names exists on "
			    "this architecture",
			    c->named);
	return settle(c);
}

int seccomp_profile_compile(const char *json, size_t len,
			    struct seccomp_filter *out, char *err,
			    size_t errlen)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct bpf_prog p = { .f = out->f, .max = BPF_MAXINSNS };
	cJSON *root = NULL;
	int r;

	if (!c)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	c->err = err;
	c->top = -1;
	c->errlen = errlen;
	if (len > SECCOMP_PROFILE_MAX)
		r = errmsg(err, errlen, -EFBIG, "larger than %d bytes",
			   SECCOMP_PROFILE_MAX);
	else if (!(r = json_object_parse(json, len, &root, err, errlen)))
		r = profile(c, root);
	if (!r) {
		emit(&p, c);
		r = p.err;
		if (r == -E2BIG)
			errmsg(err, errlen, r,
			       "the profile makes more than %d BPF "
			       "instructions",
			       BPF_MAXINSNS);
		else if (r)
			errmsg(err, errlen, r, "a jump out of reach (a bug)");
		out->n = p.n;
	}
	cJSON_Delete(root);
	free(c);
	return r;
}

int seccomp_profile_load(const char *dir, const char *name,
			 struct seccomp_filter *out, char *err, size_t errlen)
{
	char path[512], *text = NULL;
	struct stat st;
	ssize_t n = 0;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SECCOMP_PROFILE_MAX) {
		close(fd);
		return errmsg(err, errlen,
			      S_ISREG(st.st_mode) ? -EFBIG : -EINVAL,
			      "seccomp profile %s: %s", path,
			      S_ISREG(st.st_mode) ? "larger than 1 MiB"
						  : "not a regular file");
	}
	r = -ENOMEM;
	if (!(text = malloc((size_t)st.st_size + 1)))
		goto fail;
	r = 0;
	/* a file that grew since: read what fits, and one byte more */
	while ((size_t)n <= (size_t)st.st_size) {
		ssize_t got = read(fd, text + n, (size_t)st.st_size + 1 - n);
		if (got <= 0) {
			r = got ? -errno : 0;
			break;
		}
		n += got;
	}
	if (r)
		goto fail;
	r = seccomp_profile_compile(text, (size_t)n, out, err, errlen);
	close(fd);
	free(text);
	return r ? errmsg_prefix(err, errlen, r, "seccomp profile %s: ", path)
		 : 0;
fail:
	if (fd >= 0)
		close(fd);
	free(text);
	return errmsg_errno(err, errlen, r, -r, "seccomp profile %s", path);
}
