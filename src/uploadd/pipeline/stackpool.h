/* Recycled stacks for the per-upload hash and writer threads.
 *
 * Why: a thread on a stack that glibc allocated gives it back at exit with
 * madvise(MADV_DONTNEED) on all but its top 16 KiB (two syscalls per
 * upload, each flushing the TLB of every CPU the process runs on), and the
 * next thread on that stack faults its pages in again. A stack handed to
 * pthread_attr_setstack() is left alone by glibc: it stays mapped and
 * resident here between uploads. Each stack has a PROT_NONE guard page
 * below it, as glibc's own do.
 *
 * A stack goes back only after pthread_join() on the thread that used it
 * returned: the kernel has then cleared the thread's tid, after its last
 * use of the stack.
 */
#ifndef UPLOADD_STACKPOOL_H
#define UPLOADD_STACKPOOL_H

#include <stddef.h>

#include "uploadd/pipeline/sparepool.h"

/* Usable bytes per stack. ThreadSanitizer keeps its own per-thread state
 * on a stack it is handed (it asks for ~900 KiB and pthread_create fails
 * with less), so a TSan build gets 2 MiB stacks. */
#if defined(__SANITIZE_THREAD__)
#define STACKPOOL_STACK  (2048u * 1024)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STACKPOOL_STACK  (2048u * 1024)
#endif
#endif
#ifndef STACKPOOL_STACK
#define STACKPOOL_STACK  (256u * 1024)
#endif
#define STACKPOOL_SPARES SPAREPOOL_MAX /* idle stacks kept at most */

/* Returns a stack of STACKPOOL_STACK bytes (its lowest address) from the
 * pool, or a newly mapped one; NULL with errno when none can be mapped.
 * The caller owns it until stackpool_put. Any thread. */
void *stackpool_get(void);

/* Gives a stack from stackpool_get back (unmapped when the pool is full).
 * Only once no thread runs on it (after pthread_join). Any thread. */
void stackpool_put(void *stack);

/* Unmaps every idle stack. At shutdown, after the last upload. */
void stackpool_release(void);

#endif
