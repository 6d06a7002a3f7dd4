/* Optional kernel features in BPF programs: the ts_features bits user space
 * sets before load (TS_FEAT_* in taskscope_abi.h) and the kernel functions
 * that may be missing. Include once per object, after vmlinux.h,
 * bpf_helpers.h and taskscope_abi.h.
 *
 * A feature that is a tracepoint or a program of its own is left out by
 * user space (not loaded); one used inside a program is tested with
 * ts_has(TS_FEAT_X), which the verifier folds to a constant, so the path a
 * kernel cannot verify is never looked at:
 *   - a tracepoint argument a kernel lacks: read it with ts_ctx_arg() under
 *     ts_has(), never through BPF_PROG's unconditional argument list;
 *   - a kfunc: declared __weak, called under ts_has(). libbpf leaves a
 *     missing weak kfunc unresolved and the verifier accepts the call as
 *     long as it is dead code (checked on 6.1).
 * Light skeletons (bpftool gen skeleton -L) are resolved by a loader
 * program instead: there, TS_RCU_KFUNC=1 makes the kfunc a hard
 * requirement (the loader fails at once, before any verification, where
 * it is missing) and TS_RCU_KFUNC=0 leaves it out of the object; user
 * space builds both variants and loads the first that works. */
#ifndef TS_FEATURES_BPF_H
#define TS_FEATURES_BPF_H

const volatile __u64 ts_features;   /* TS_FEAT_*, set by user space */

#define ts_has(feat) ((ts_features & (feat)) != 0)

/* Argument n of a tp_btf program's context. A volatile load, so the
 * compiler cannot hoist it above the ts_has() test guarding an argument
 * only some kernels have (the verifier refuses an argument past the
 * tracepoint's last one, but only on a path it takes). */
#define ts_ctx_arg(ctx, n) (((volatile __u64 *)(ctx))[n])

#if !defined(TS_RCU_KFUNC)
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
#define ts_rcu_kfunc() ts_has(TS_FEAT_RCU_KFUNC)
#elif TS_RCU_KFUNC
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
#define ts_rcu_kfunc() 1
#else
#define ts_rcu_kfunc() 0
#define bpf_rcu_read_lock() do { } while (0)
#define bpf_rcu_read_unlock() do { } while (0)
#endif

#endif
