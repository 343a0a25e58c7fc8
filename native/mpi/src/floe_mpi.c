/*
 * Open MPI binding for Floe's `mpi` data-parallel backend (N-API, plain C).
 *
 * Collectives run non-blocking (MPI_Iallreduce / MPI_Ibcast / MPI_Ibarrier) and are polled with
 * MPI_Test until done or a deadline, so a rank that never joins makes the others fail with a
 * timeout instead of hanging. MPI is initialized only when JavaScript calls init() (Floe does so
 * only under mpirun); a failure ends the job through MPI_Abort, never MPI_Finalize.
 */
#include <mpi.h>
#include <node_api.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "floe-mpi: N-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static int throw_mpi(napi_env env, const char* what, int code) {
  char text[MPI_MAX_ERROR_STRING];
  char message[MPI_MAX_ERROR_STRING + 128];
  int length = 0;
  MPI_Error_string(code, text, &length);
  snprintf(message, sizeof message, "floe-mpi: %s failed: %s", what, text);
  napi_throw_error(env, NULL, message);
  return 0;
}

static void argv_of(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
}

static int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void** data, size_t* length) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, want == napi_float32_array ? "floe-mpi: expected a Float32Array" : "floe-mpi: expected an Int32Array");
    return 0;
  }
  return 1;
}

static double number_arg(napi_env env, napi_value value) {
  double out = 0;
  napi_get_value_double(env, value, &out);
  return out;
}

/*
 * SIGTERM/SIGINT while a rank waits in a collective: mpirun sends them when it tears the job down
 * (another rank died, or mpirun itself was interrupted). The handler records the signal and
 * passes it on to whatever handler was installed before (Node's, or the default action), so JS
 * still sees it. It is (re)installed at each collective, because Node replaces handlers as JS
 * listeners come and go.
 */
static volatile sig_atomic_t signal_seen = 0;
static struct sigaction previous_action[2];
static const int watched_signals[2] = {SIGTERM, SIGINT};

static void on_signal(int sig, siginfo_t* info, void* context) {
  signal_seen = sig;
  for (int i = 0; i < 2; i++) {
    if (watched_signals[i] != sig) continue;
    struct sigaction* before = &previous_action[i];
    if (before->sa_flags & SA_SIGINFO) {
      if (before->sa_sigaction != NULL) before->sa_sigaction(sig, info, context);
    } else if (before->sa_handler == SIG_DFL) {
      signal(sig, SIG_DFL);
      raise(sig);
    } else if (before->sa_handler != SIG_IGN) {
      before->sa_handler(sig);
    }
  }
}

static void watch_signals(void) {
  for (int i = 0; i < 2; i++) {
    struct sigaction current;
    sigaction(watched_signals[i], NULL, &current);
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_signal) continue;
    previous_action[i] = current;
    struct sigaction mine;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = on_signal;
    mine.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&mine.sa_mask);
    sigaction(watched_signals[i], &mine, NULL);
  }
}

/*
 * Abort notices: a failing rank sends its reason to rank 0 (tag NOTICE_TAG) before MPI_Abort, so
 * rank 0, waiting in a collective the failed rank will never join, can record why the job ended.
 */
#define NOTICE_TAG 7411
#define NOTICE_BYTES 2048
static char notice[NOTICE_BYTES + 1];
static int notice_length = -1;

static int take_notice(void) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, NOTICE_TAG, MPI_COMM_WORLD, &flag, &status);
  if (!flag) return 0;
  MPI_Recv(notice, NOTICE_BYTES, MPI_CHAR, status.MPI_SOURCE, NOTICE_TAG, MPI_COMM_WORLD, &status);
  MPI_Get_count(&status, MPI_CHAR, &notice_length);
  if (notice_length < 0) notice_length = 0;
  notice[notice_length] = '\0';
  return 1;
}

/*
 * Polls `request` until it completes (0), `timeout_ms` passes (1), it is still pending 300 ms
 * after a SIGTERM/SIGINT arrived during the wait (2: the job is being torn down), or another rank
 * sent an abort notice (3). Spins briefly, then sleeps 20 µs per poll.
 */
static int wait_request(MPI_Request* request, double timeout_ms) {
  const double deadline = MPI_Wtime() + timeout_ms / 1000.0;
  const struct timespec nap = {0, 20000};
  double signal_deadline = 0;
  int done = 0;
  watch_signals();
  signal_seen = 0;
  for (unsigned polls = 0;; polls++) {
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (done) return 0;
    if ((polls & 63) == 0 && take_notice()) return 3;
    double now = MPI_Wtime();
    if (now > deadline) return 1;
    if (signal_seen != 0) {
      if (signal_deadline == 0) signal_deadline = now + 0.3;
      else if (now > signal_deadline) return take_notice() ? 3 : 2;
    }
    if (polls > 2000) nanosleep(&nap, NULL);
  }
}

static napi_value status_value(napi_env env, int status) {
  napi_value out;
  napi_create_int32(env, status, &out);
  return out;
}

static napi_value Init(napi_env env, napi_callback_info info) {
  (void)info;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Init_thread", rc), NULL;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  napi_value out, r, s;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_int32(env, rank, &r));
  CHECK(napi_create_int32(env, size, &s));
  CHECK(napi_set_element(env, out, 0, r));
  CHECK(napi_set_element(env, out, 1, s));
  return out;
}

/* allReduceSum(Float32Array data, timeoutMs): sums in place over all ranks. */
static napi_value AllReduceSum(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  argv_of(env, info, 2, argv);
  void* data;
  size_t length;
  if (!typed_array(env, argv[0], napi_float32_array, &data, &length)) return NULL;
  MPI_Request request;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, data, (int)length, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Iallreduce", rc), NULL;
  return status_value(env, wait_request(&request, number_arg(env, argv[1])));
}

/* broadcast(Float32Array data, root, timeoutMs): copies root's data to every rank in place. */
static napi_value Broadcast(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  argv_of(env, info, 3, argv);
  void* data;
  size_t length;
  if (!typed_array(env, argv[0], napi_float32_array, &data, &length)) return NULL;
  MPI_Request request;
  int rc = MPI_Ibcast(data, (int)length, MPI_FLOAT, (int)number_arg(env, argv[1]), MPI_COMM_WORLD, &request);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Ibcast", rc), NULL;
  return status_value(env, wait_request(&request, number_arg(env, argv[2])));
}

/* barrier(timeoutMs). */
static napi_value Barrier(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  argv_of(env, info, 1, argv);
  MPI_Request request;
  int rc = MPI_Ibarrier(MPI_COMM_WORLD, &request);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Ibarrier", rc), NULL;
  return status_value(env, wait_request(&request, number_arg(env, argv[0])));
}

/* minMax(Int32Array data, timeoutMs) -> Int32Array [status, min..., max...]. */
static napi_value MinMax(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  argv_of(env, info, 2, argv);
  void* data;
  size_t length;
  if (!typed_array(env, argv[0], napi_int32_array, &data, &length)) return NULL;
  napi_value buffer, out;
  void* raw;
  CHECK(napi_create_arraybuffer(env, (1 + 2 * length) * sizeof(int32_t), &raw, &buffer));
  CHECK(napi_create_typedarray(env, napi_int32_array, 1 + 2 * length, buffer, 0, &out));
  int32_t* result = (int32_t*)raw;
  /* One MIN reduction over [x..., -x...] gives both the minimum and (negated) the maximum. */
  int32_t both[64];
  if (length > 32) {
    napi_throw_range_error(env, NULL, "floe-mpi: minMax takes at most 32 values");
    return NULL;
  }
  for (size_t i = 0; i < length; i++) {
    both[i] = ((int32_t*)data)[i];
    both[length + i] = -((int32_t*)data)[i];
  }
  MPI_Request request;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, both, (int)(2 * length), MPI_INT32_T, MPI_MIN, MPI_COMM_WORLD, &request);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Iallreduce", rc), NULL;
  result[0] = wait_request(&request, number_arg(env, argv[1]));
  for (size_t i = 0; i < length; i++) {
    result[1 + i] = both[i];
    result[1 + length + i] = -both[length + i];
  }
  return out;
}

/* notify(text): sends an abort notice to rank 0 (waits at most 200 ms for it to leave). */
static napi_value Notify(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  argv_of(env, info, 1, argv);
  static char text[NOTICE_BYTES];
  size_t length = 0;
  napi_get_value_string_utf8(env, argv[0], text, sizeof text, &length);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) return NULL;
  MPI_Request request;
  if (MPI_Isend(text, (int)length, MPI_CHAR, 0, NOTICE_TAG, MPI_COMM_WORLD, &request) != MPI_SUCCESS) return NULL;
  const double deadline = MPI_Wtime() + 0.2;
  int done = 0;
  while (!done && MPI_Wtime() < deadline) MPI_Test(&request, &done, MPI_STATUS_IGNORE);
  return NULL;
}

/* notice(): the abort notice received from another rank, or undefined. */
static napi_value Notice(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  if (notice_length < 0) {
    napi_get_undefined(env, &out);
    return out;
  }
  CHECK(napi_create_string_utf8(env, notice, (size_t)notice_length, &out));
  return out;
}

/* abort(code): ends every rank of the job. */
static napi_value Abort(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  argv_of(env, info, 1, argv);
  MPI_Abort(MPI_COMM_WORLD, (int)number_arg(env, argv[0]));
  return NULL;
}

/* finalize(): after a successful run only (it waits for every rank). */
static napi_value Finalize(napi_env env, napi_callback_info info) {
  (void)info;
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) {
    int rc = MPI_Finalize();
    if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Finalize", rc), NULL;
  }
  return NULL;
}

/* version(): the MPI library's version string (needs no MPI_Init). */
static napi_value Version(napi_env env, napi_callback_info info) {
  (void)info;
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\0')) length--;
  napi_value out;
  CHECK(napi_create_string_utf8(env, text, (size_t)length, &out));
  return out;
}

static napi_value Module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, Init, NULL, NULL, NULL, napi_default, NULL},
      {"allReduceSum", NULL, AllReduceSum, NULL, NULL, NULL, napi_default, NULL},
      {"broadcast", NULL, Broadcast, NULL, NULL, NULL, napi_default, NULL},
      {"barrier", NULL, Barrier, NULL, NULL, NULL, napi_default, NULL},
      {"minMax", NULL, MinMax, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, Abort, NULL, NULL, NULL, napi_default, NULL},
      {"notify", NULL, Notify, NULL, NULL, NULL, napi_default, NULL},
      {"notice", NULL, Notice, NULL, NULL, NULL, napi_default, NULL},
      {"finalize", NULL, Finalize, NULL, NULL, NULL, napi_default, NULL},
      {"version", NULL, Version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
