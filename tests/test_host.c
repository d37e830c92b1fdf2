/*
 * test_host.c - what the engine lends every run (engine/core/host.c): the
 * build slots and the cores a timed run takes from the builds. With more
 * than one core, a run of N cores waits for the builds already on its
 * cores, new builds keep off them, and where no core is left over builds
 * wait for the run.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdatomic.h>
#include <unistd.h>

#include "engine/core/host.h"

static struct run_host h;
static atomic_int stage;
static atomic_int give_back;

static void setup(void)
{
	memset(&h, 0, sizeof h);
	host_init(&h, 2, 0);
	atomic_store(&stage, 0);
	atomic_store(&give_back, 0);
}

static void teardown(void)
{
	host_destroy(&h);
}

TestSuite(host, .init = setup, .fini = teardown, .timeout = 30);

/* Polls until stage reaches want (or 10 s pass). */
static bool reached(int want)
{
	for (int i = 0; i < 10000 && atomic_load(&stage) < want; i++)
		usleep(1000);
	return atomic_load(&stage) >= want;
}

/* A timed run as the engine makes one: the timing lock, then every core,
 * held until the test says. */
static void *timed_run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&h.timing_lock);
	host_cores_reserve(&h, host_cores_max());
	atomic_store(&stage, 1);
	while (!atomic_load(&give_back))
		usleep(1000);
	host_cores_release(&h);
	pthread_mutex_unlock(&h.timing_lock);
	return NULL;
}

static void *build(void *arg)
{
	cpu_set_t set;

	(void)arg;
	host_build_acquire(&h);
	/* a build never runs on the last core (a timed run's) */
	pthread_getaffinity_np(pthread_self(), sizeof set, &set);
	cr_expect(!CPU_ISSET(host_cores_max() - 1, &set));
	atomic_store(&stage, 3);
	host_build_release(&h);
	return NULL;
}

Test(host, a_run_of_every_core_waits_for_builds_and_holds_them_off)
{
	pthread_t run, b;

	if (host_cores_max() < 2)
		cr_skip_test("one CPU: builds and timed runs share it, as they must");
	/* a build holds a slot: the run waits for it */
	host_build_acquire(&h);
	cr_assert_eq(pthread_create(&run, NULL, timed_run, NULL), 0);
	usleep(50000);
	cr_expect_eq(atomic_load(&stage), 0, "the run did not wait for the build on its cores");
	host_build_release(&h);
	cr_assert(reached(1), "the run never got its cores");
	/* the run holds every core: a new build waits until it gives them back */
	atomic_store(&stage, 2);
	cr_assert_eq(pthread_create(&b, NULL, build, NULL), 0);
	usleep(50000);
	cr_expect_eq(atomic_load(&stage), 2, "a build ran while the run held every core");
	atomic_store(&give_back, 1);
	cr_assert(reached(3), "the build never ran after the run");
	pthread_join(run, NULL);
	pthread_join(b, NULL);
}

Test(host, one_core_runs_leave_the_other_cores_to_builds)
{
	pthread_mutex_lock(&h.timing_lock);
	host_cores_reserve(&h, 1);   /* the default: nothing to take */
	host_build_acquire(&h);
	host_build_acquire(&h);
	host_build_release(&h);
	host_build_release(&h);
	host_cores_release(&h);
	pthread_mutex_unlock(&h.timing_lock);
	cr_assert_eq(h.builds_free, 2);
}

/* A build runs 10 below the daemon's nice value and returns to it, so
 * the timed runs a thread starts after a build have the priority of those
 * it started before (the test runs as root, or where RLIMIT_NICE lets it
 * return). */
Test(host, a_build_thread_returns_to_the_daemons_priority)
{
	id_t tid = (id_t)syscall(SYS_gettid);
	int before = getpriority(PRIO_PROCESS, tid);

	cr_assert(h.renice, "this test runs where a thread can return to its nice value");
	cr_assert_eq(h.nice, getpriority(PRIO_PROCESS, 0));
	host_build_acquire(&h);
	int during = getpriority(PRIO_PROCESS, tid);
	host_build_release(&h);
	cr_expect_eq(during, before + 10 > 19 ? 19 : before + 10);
	cr_expect_eq(getpriority(PRIO_PROCESS, tid), before);
}
