/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory barriers for memory shared with a hypervisor, a backend domain or
 * a device: Xen rings (xenstore, console, netif, blkif), grant entries,
 * pvclock records and virtqueues. One definition for the kernel, the
 * drivers and the host unit tests that compile the same ring code.
 *
 * x86 is TSO: a load is never reordered with an older load, and a store is
 * never reordered with an older store or an older load. So:
 *  - rmb() (loads stay ordered with loads) and wmb() (stores stay ordered
 *    with stores) only have to stop the compiler;
 *  - mb() must order an older store with a younger load, the one
 *    reordering x86 does (a store can wait in the store buffer while a
 *    later load runs). Every "publish my index, then read the peer's event
 *    index or hint" step (Xen ring push / final check, virtqueue kick and
 *    interrupt suppression, xenstore ring space) needs it, so it is a real
 *    fence (mfence).
 * Other architectures get full fences everywhere: correct, only slower.
 *
 * Single-word accesses the peer races with (grant flags, event bits) use
 * __atomic builtins at the use site instead; the barriers here order
 * plain accesses around them.
 */
#ifndef SLUICE_BARRIER_H
#define SLUICE_BARRIER_H

/* The compiler may not move memory accesses across this; the CPU may. */
static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

#if defined(__x86_64__) || defined(__i386__)

/* Loads before the barrier happen before loads after it (TSO: compiler only). */
static inline void rmb(void)
{
	barrier();
}

/* Stores before the barrier become visible before stores after it (TSO: compiler only). */
static inline void wmb(void)
{
	barrier();
}

/* Every access before the barrier, including stores, before every access after it. */
static inline void mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

#else

static inline void rmb(void)
{
	__sync_synchronize();
}

static inline void wmb(void)
{
	__sync_synchronize();
}

static inline void mb(void)
{
	__sync_synchronize();
}

#endif

/*
 * Xen's io/ring.h expects xen_mb/xen_rmb/xen_wmb to exist before it is
 * included (our __XEN_INTERFACE_VERSION__ is new enough that it does not
 * define them itself); its push and final-check macros rely on xen_mb
 * being a full fence, as above.
 */
#ifndef xen_mb
#define xen_mb() mb()
#define xen_rmb() rmb()
#define xen_wmb() wmb()
#endif

#endif /* SLUICE_BARRIER_H */
