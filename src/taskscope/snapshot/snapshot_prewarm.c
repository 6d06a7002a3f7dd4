/* The unwinder-building helper thread (see snapshot_prewarm.h). */
#include "taskscope/snapshot/snapshot_prewarm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "taskscope/phase.h"
#include "threadview/unwind.h"

#define HELPER_NICE 19

struct ts_prewarm {
	pthread_t thread;
	pid_t pid;
	struct ts_unwinder *u;
	atomic_int tid;            /* the helper's, once it runs */
	atomic_bool hurry;         /* the main thread waits for it */
};

static void *prewarm_main(void *arg)
{
	struct ts_prewarm *p = arg;
	pid_t tid = gettid();
	struct ts_phase ph;

	/* Dekker-style with ts_prewarm_finish: either it sees our tid and
	 * renices us, or we see hurry and stay at (or go back to) nice 0. */
	if (!atomic_load(&p->hurry))
		setpriority(PRIO_PROCESS, tid, HELPER_NICE);
	atomic_store(&p->tid, tid);
	if (atomic_load(&p->hurry))
		setpriority(PRIO_PROCESS, tid, 0);
	ts_phase_start(&ph);
	p->u = ts_unwinder_new(p->pid);
	if (p->u)
		ts_unwinder_prewarm(p->u);
	ts_phase_mark(&ph, "prewarm");
	return NULL;
}

struct ts_prewarm *ts_prewarm_start(pid_t pid)
{
	struct ts_prewarm *p;

	if (pid <= 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	if (pthread_create(&p->thread, NULL, prewarm_main, p)) {
		free(p);
		return NULL;
	}
	return p;
}

struct ts_unwinder *ts_prewarm_finish(struct ts_prewarm *p)
{
	struct ts_unwinder *u;
	struct ts_phase ph;
	pid_t tid;

	if (!p)
		return NULL;
	ts_phase_start(&ph);
	atomic_store(&p->hurry, true);
	tid = atomic_load(&p->tid);
	/* Lowering a nice value needs CAP_SYS_NICE, which root has; without
	 * it the helper just finishes at nice 19. It may have exited: ESRCH. */
	if (tid)
		setpriority(PRIO_PROCESS, tid, 0);
	pthread_join(p->thread, NULL);
	ts_phase_mark(&ph, "join");
	u = p->u;
	free(p);
	return u;
}
