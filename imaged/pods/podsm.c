// SPDX-License-Identifier: MIT
#include "pods/podsm.h"

#include <stdbool.h>

static const struct {
	const char *name, *status;
} states[POD_STATES] = {
	[POD_PENDING] = { "Pending", "Pending" },
	[POD_CONFIG_ERROR] = { "CreateContainerConfigError",
			       "CreateContainerConfigError" },
	[POD_PULLING] = { "Pulling", "ContainerCreating" },
	[POD_PULL_BACKOFF] = { "ErrImagePull", "ErrImagePull" },
	[POD_CREATING] = { "ContainerCreating", "ContainerCreating" },
	[POD_SANDBOX_ERROR] = { "SandboxError", "SandboxError" },
	[POD_INIT] = { "Init", "Init" },
	[POD_INIT_BACKOFF] = { "Init:CrashLoopBackOff",
			       "Init:CrashLoopBackOff" },
	[POD_INIT_ERROR] = { "Init:Error", "Init:Error" },
	[POD_RUNNING] = { "Running", "Running" },
	[POD_CRASH_LOOP] = { "CrashLoopBackOff", "CrashLoopBackOff" },
	[POD_OOM_KILLED] = { "OOMKilled", "OOMKilled" },
	[POD_CREATE_ERROR] = { "CreateContainerError", "CreateContainerError" },
	[POD_SUCCEEDED] = { "Completed", "Completed" },
	[POD_FAILED] = { "Error", "Error" },
	[POD_STOPPED] = { "Stopped", "Stopped" },
};

const char *pod_state_name(enum pod_state s)
{
	return s < POD_STATES ? states[s].name : "?";
}

const char *pod_state_status(enum pod_state s)
{
	return s < POD_STATES ? states[s].status : "?";
}

bool pod_state_starts(enum pod_state s)
{
	switch (s) {
	case POD_INIT:
	case POD_INIT_BACKOFF:
	case POD_RUNNING:
	case POD_CRASH_LOOP:
	case POD_OOM_KILLED:
	case POD_CREATE_ERROR:
		return true;
	default:
		return false;
	}
}

/* The containers' part: they start, run, wait to restart, or are done. */
static enum pod_state run_step(const struct pod_facts *f, enum pod_action *act)
{
	if (f->due)
		*act = POD_ACT_START;
	if (f->n_ctrs && f->succeeded + f->failed == f->n_ctrs)
		return f->failed ? POD_FAILED : POD_SUCCEEDED;
	if (f->create_error)
		return POD_CREATE_ERROR;
	if (f->oom_wait)
		return POD_OOM_KILLED;
	if (f->crash_wait)
		return POD_CRASH_LOOP;
	return POD_RUNNING;
}

/* Init containers one at a time, each to success; then the containers. */
static enum pod_state init_step(const struct pod_facts *f, enum pod_action *act)
{
	if (f->init_failed)
		return POD_INIT_ERROR;
	if (f->init_done == f->n_init)
		return run_step(f, act);
	if (f->init_live)
		return POD_INIT;
	if (!f->init_due)
		return POD_INIT_BACKOFF;
	*act = POD_ACT_START_INIT;
	return POD_INIT;
}

static enum pod_state pending_step(const struct pod_facts *f,
				   enum pod_action *act)
{
	if (!f->config)
		return POD_CONFIG_ERROR;
	if (f->pulling)
		return POD_PULLING;
	if (f->images)
		return POD_CREATING;
	if (!f->pull_due)
		return POD_PULL_BACKOFF;
	*act = POD_ACT_PULL;
	return POD_PULLING;
}

enum pod_state pod_step(enum pod_state s, const struct pod_facts *f,
			enum pod_action *act)
{
	*act = POD_ACT_NONE;
	switch (s) {
	case POD_PENDING:
		return pending_step(f, act);
	case POD_CONFIG_ERROR:
		return f->config ? POD_PENDING : s;
	case POD_PULLING:
		if (f->pulling)
			return s;
		return f->images ? POD_CREATING : POD_PULL_BACKOFF;
	case POD_PULL_BACKOFF:
		return f->pull_due ? POD_PENDING : s;
	case POD_CREATING:
		if (f->sandbox)
			return init_step(f, act);
		if (!f->sandbox_due)
			return POD_SANDBOX_ERROR;
		*act = POD_ACT_SANDBOX;
		return s;
	case POD_SANDBOX_ERROR:
		return f->sandbox_due ? POD_CREATING : s;
	case POD_INIT:
	case POD_INIT_BACKOFF:
		return init_step(f, act);
	case POD_RUNNING:
	case POD_CRASH_LOOP:
	case POD_OOM_KILLED:
	case POD_CREATE_ERROR:
		return run_step(f, act);
	/* left only by a request: imagectl start (or delete) */
	case POD_INIT_ERROR:
	case POD_SUCCEEDED:
	case POD_FAILED:
	case POD_STOPPED:
	case POD_STATES:
		break;
	}
	return s;
}
