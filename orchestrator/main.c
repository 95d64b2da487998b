// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tailgate: safe, hot upgrades of XDP and tc program chains. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "out.h"
#include "tailgate.h"

static const struct tg_verb *const verbs[] = {
	&verb_plan, &verb_apply, &verb_status, &verb_stats, &verb_rollback, &verb_promote,
	&verb_abort, &verb_history, &verb_recover, &verb_restore, &verb_save, &verb_detach,
	&verb_sandbox, &verb_complete,
};

#define NR_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const struct verb_def top = {
	.name = "",
	.args = "VERB [ARGS]",
	.summary = "safe, hot upgrades of XDP and tc programs on live interfaces",
	.max_pos = -1,
	.flags = OPTS_IN_ORDER | OPTS_NO_PRIVS,
};

int tg__exit_code(int err)
{
	switch (err) {
	case 0:
		return TG_EXIT_OK;
	case TG_ERR_PREFLIGHT:
		return TG_EXIT_PREFLIGHT;
	case TG_ERR_ROLLED_BACK:
		return TG_EXIT_ROLLED_BACK;
	case TG_ERR_INCONSISTENT:
		return TG_EXIT_INCONSISTENT;
	case TG_ERR_BUSY:
		return TG_EXIT_BUSY;
	default:
		return TG_EXIT_ERROR;
	}
}

static void toplevel(FILE *f)
{
	const struct verb_def *defs[NR_VERBS];
	size_t i, n = 0;

	for (i = 0; i < NR_VERBS; i++)
		defs[n++] = &verbs[i]->def;
	opts__toplevel(f, defs, n);
	fprintf(f, "See tailgate(8) and tailgate-plan(5).\n");
}

static const struct tg_verb *find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_VERBS; i++)
		if (!strcmp(verbs[i]->def.name, name))
			return verbs[i];
	return NULL;
}

/* A usage error: on stderr already; in --json, the document says it too. */
static int usage_error(const char *verb)
{
	out__init(verb, tg_global.json, tg_global.quiet);
	out__record(OUT_ERROR, "%s", tg_global.error[0] ? tg_global.error : "usage error");
	return out__finish(TG_EXIT_ERROR);
}

static int run_verb(const struct tg_verb *v, int argc, char **argv)
{
	char **pos;
	void *cfg;
	int nr, err;

	cfg = calloc(1, v->cfg_size ?: 1);
	if (!cfg)
		return TG_EXIT_ERROR;
	if (v->defaults)
		v->defaults(cfg);
	err = opts__parse(&v->def, &tg_global, argc, argv, cfg, &pos, &nr);
	if (err == OPTS_HELP || err == OPTS_VERSION) {
		err == OPTS_HELP ? opts__usage(stdout, &v->def) : (void)printf("tailgate %s\n", TG_VERSION);
		free(cfg);
		return TG_EXIT_OK;
	}
	if (err < 0) {
		free(cfg);
		return usage_error(v->def.name);
	}
	/* -q: errors and warnings only; -v still adds detail after it. */
	log__init(tg_global.quiet ? tg_global.verbose - 1 : tg_global.verbose);
	umask(077);
	out__init(v->def.name, tg_global.json, tg_global.quiet);
	err = tg__exit_code(v->run(cfg, pos, nr));
	free(cfg);
	return out__finish(err);
}

int main(int argc, char **argv)
{
	const struct tg_verb *v;
	char **pos;
	int nr, err;

	err = opts__parse(&top, &tg_global, argc, argv, NULL, &pos, &nr);
	if (err == OPTS_VERSION) {
		printf("tailgate %s (datapath ABI %u)\n", TG_VERSION, TG_ABI_VERSION);
		return TG_EXIT_OK;
	}
	if (err == OPTS_HELP || (err == OPTS_OK && !nr && !tg_global.json)) {
		toplevel(err == OPTS_HELP ? stdout : stderr);
		return err == OPTS_HELP ? TG_EXIT_OK : TG_EXIT_ERROR;
	}
	if (err < 0 || !nr)
		return usage_error("tailgate");
	v = find(pos[0]);
	if (!v) {
		fprintf(stderr, "tailgate: unknown verb '%s'; see 'tailgate --help'\n", pos[0]);
		snprintf(tg_global.error, sizeof(tg_global.error), "unknown verb '%s'", pos[0]);
		return usage_error("tailgate");
	}
	return run_verb(v, nr, pos);
}
