/*
 * test_c_api.c: tests of the C API (usearch.h, upstream-compatible) and of our extensions
 * (usearch_ext.h), written against the behaviour described in docs/c-api.md.
 *
 * Plain C99 plus POSIX threads. Every check counts as passed or failed; failures print
 * file:line and what was compared. The last line is "N passed, M failed"; the exit status is
 * non-zero when anything failed.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usearch.h"
#include "usearch_ext.h"

/* ---- a tiny check framework ------------------------------------------------------------ */

static int passed_count = 0;
static int failed_count = 0;

static void record(int ok, char const* file, int line, char const* what) {
    if (ok) {
        passed_count++;
        return;
    }
    failed_count++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

#define CHECK(cond) record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

static void check_string(char const* actual, char const* expected, char const* file, int line, char const* what) {
    int ok = (actual == NULL && expected == NULL) ||
             (actual != NULL && expected != NULL && strcmp(actual, expected) == 0);
    if (!ok)
        fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", file, line, expected ? expected : "(null)",
                actual ? actual : "(null)");
    record(ok, file, line, what);
}
/* CHECK_STR compares two C strings (NULL equals only NULL). */
#define CHECK_STR(actual, expected) check_string((actual), (expected), __FILE__, __LINE__, #actual " == " #expected)

static void check_size(size_t actual, size_t expected, char const* file, int line, char const* what) {
    if (actual != expected)
        fprintf(stderr, "%s:%d: expected %zu, got %zu\n", file, line, expected, actual);
    record(actual == expected, file, line, what);
}
#define CHECK_SIZE(actual, expected) check_size((size_t)(actual), (size_t)(expected), __FILE__, __LINE__, #actual " == " #expected)

static void check_near(double actual, double expected, double tolerance, char const* file, int line,
                       char const* what) {
    int ok = fabs(actual - expected) <= tolerance * (1.0 + fabs(expected));
    if (!ok) fprintf(stderr, "%s:%d: expected %.9g, got %.9g\n", file, line, expected, actual);
    record(ok, file, line, what);
}
#define CHECK_NEAR(actual, expected, tol) check_near((actual), (expected), (tol), __FILE__, __LINE__, #actual " ~ " #expected)

/* The error slot after a call that must succeed: still holding what the caller put there. */
#define CHECK_OK(err) CHECK_STR((err), NULL)

/* A non-NULL value put in the error slot before a successful call, to see it stay untouched. */
static char const untouched_marker[] = "untouched";

static double const half_pi = 1.57079632679489661923;

/* ---- scalar helpers (test side, independent of the library) ----------------------------- */

static uint16_t bf16_of(float x) { /* exact for values with at most 8 significant bits */
    uint32_t bits;
    memcpy(&bits, &x, 4);
    return (uint16_t)(bits >> 16);
}

static float float_of_bf16(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float x;
    memcpy(&x, &bits, 4);
    return x;
}

/* f16 of a normal value exactly representable in binary16 (all test inputs are). */
static uint16_t f16_of(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7FFFFFFFu) == 0) return (uint16_t)((bits >> 16) & 0x8000u);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    int exponent = (int)((bits >> 23) & 0xFF) - 127 + 15;
    uint16_t mantissa = (uint16_t)((bits >> 13) & 0x3FFu);
    return (uint16_t)(sign | (uint16_t)(exponent << 10) | mantissa);
}

static float float_of_f16(uint16_t h) {
    int sign = (h & 0x8000u) ? -1 : 1;
    int exponent = (h >> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0) return (float)(sign * ldexp(mantissa, -24));
    return (float)(sign * ldexp(1024 + mantissa, exponent - 25));
}

/* xorshift64*: deterministic pseudo-random numbers, one state per thread. */
static uint64_t next_random(uint64_t* state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static float random_float(uint64_t* state) { /* in [-1, 1) */
    return (float)((double)(next_random(state) >> 11) / 4503599627370496.0 - 1.0);
}

static void random_vector(uint64_t* state, float* v, size_t dims) {
    size_t i;
    for (i = 0; i < dims; ++i) v[i] = random_float(state);
}

static float l2sq(float const* a, float const* b, size_t dims) {
    float sum = 0;
    size_t i;
    for (i = 0; i < dims; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
    return sum;
}

static usearch_init_options_t make_options(usearch_metric_kind_t metric, usearch_scalar_kind_t quantization,
                                           size_t dimensions) {
    usearch_init_options_t o;
    memset(&o, 0, sizeof(o));
    o.metric_kind = metric;
    o.metric = NULL;
    o.quantization = quantization;
    o.dimensions = dimensions;
    return o;
}

/* new_index creates an index that must succeed, with `capacity` reserved. */
static usearch_index_t new_index(usearch_metric_kind_t metric, usearch_scalar_kind_t quantization, size_t dimensions,
                                 bool multi, size_t capacity) {
    usearch_init_options_t o = make_options(metric, quantization, dimensions);
    usearch_error_t err = NULL;
    usearch_index_t index;
    o.multi = multi;
    index = usearch_init(&o, &err);
    CHECK(index != NULL);
    CHECK_OK(err);
    if (index && capacity) {
        usearch_reserve(index, capacity, &err);
        CHECK_OK(err);
    }
    return index;
}

/* ---- struct layout, enums, version ------------------------------------------------------ */

struct options_alignment_probe {
    char c;
    usearch_init_options_t o;
};

static void test_layout(void) {
    CHECK_SIZE(sizeof(usearch_metric_kind_t), 4);
    CHECK_SIZE(sizeof(usearch_scalar_kind_t), 4);
    CHECK_SIZE(sizeof(usearch_key_t), 8);
    CHECK_SIZE(sizeof(usearch_distance_t), 4);
    CHECK_SIZE(sizeof(bool), 1);
    if (sizeof(void*) == 8) {
        CHECK_SIZE(sizeof(usearch_init_options_t), 64);
        CHECK_SIZE(offsetof(struct options_alignment_probe, o), 8);
        CHECK_SIZE(offsetof(usearch_init_options_t, metric_kind), 0);
        CHECK_SIZE(offsetof(usearch_init_options_t, metric), 8);
        CHECK_SIZE(offsetof(usearch_init_options_t, quantization), 16);
        CHECK_SIZE(offsetof(usearch_init_options_t, dimensions), 24);
        CHECK_SIZE(offsetof(usearch_init_options_t, connectivity), 32);
        CHECK_SIZE(offsetof(usearch_init_options_t, expansion_add), 40);
        CHECK_SIZE(offsetof(usearch_init_options_t, expansion_search), 48);
        CHECK_SIZE(offsetof(usearch_init_options_t, multi), 56);
    } else if (sizeof(void*) == 4) {
        CHECK_SIZE(sizeof(usearch_init_options_t), 32);
        CHECK_SIZE(offsetof(usearch_init_options_t, metric_kind), 0);
        CHECK_SIZE(offsetof(usearch_init_options_t, metric), 4);
        CHECK_SIZE(offsetof(usearch_init_options_t, quantization), 8);
        CHECK_SIZE(offsetof(usearch_init_options_t, dimensions), 12);
        CHECK_SIZE(offsetof(usearch_init_options_t, connectivity), 16);
        CHECK_SIZE(offsetof(usearch_init_options_t, expansion_add), 20);
        CHECK_SIZE(offsetof(usearch_init_options_t, expansion_search), 24);
        CHECK_SIZE(offsetof(usearch_init_options_t, multi), 28);
    }

    /* Enumeration values are part of the ABI. */
    CHECK(usearch_metric_unknown_k == 0 && usearch_metric_cos_k == 1 && usearch_metric_ip_k == 2);
    CHECK(usearch_metric_l2sq_k == 3 && usearch_metric_haversine_k == 4 && usearch_metric_divergence_k == 5);
    CHECK(usearch_metric_pearson_k == 6 && usearch_metric_jaccard_k == 7 && usearch_metric_hamming_k == 8);
    CHECK(usearch_metric_tanimoto_k == 9 && usearch_metric_sorensen_k == 10);
    CHECK(usearch_scalar_unknown_k == 0 && usearch_scalar_f32_k == 1 && usearch_scalar_f64_k == 2);
    CHECK(usearch_scalar_f16_k == 3 && usearch_scalar_i8_k == 4 && usearch_scalar_b1_k == 5);
    CHECK(usearch_scalar_bf16_k == 6 && usearch_scalar_e5m2_k == 7 && usearch_scalar_e4m3_k == 8);
    CHECK(usearch_scalar_u8_k == 9 && usearch_scalar_e2m3_k == 10 && usearch_scalar_e3m2_k == 11);
    CHECK(usearchx_ok_k == 0 && usearchx_callback_k == 12);
}

/* Every name of a ", "-joined list `subset` also appears in `set`. */
static int names_within(char const* subset, char const* set) {
    char buffer[1024];
    char* name;
    char* rest;
    if (strlen(subset) >= sizeof(buffer)) return 0;
    strcpy(buffer, subset);
    for (name = buffer; name && *name; name = rest) {
        size_t length;
        char const* at;
        int found = 0;
        rest = strstr(name, ", ");
        if (rest) *rest = '\0', rest += 2;
        length = strlen(name);
        for (at = strstr(set, name); at; at = strstr(at + 1, name))
            if ((at == set || at[-1] == ' ') && (at[length] == '\0' || at[length] == ',')) found = 1;
        if (!found) return 0;
    }
    return 1;
}

static void test_version_and_hardware(void) {
    char const* compiled = usearch_hardware_acceleration_compiled();
    char const* available = usearch_hardware_acceleration_available();
    CHECK_STR(usearch_version(), "2.26.2");
    CHECK(compiled != NULL && compiled[0] != '\0');
    CHECK(available != NULL && available[0] != '\0');
    CHECK(compiled && strstr(compiled, "serial") != NULL);
    CHECK(available && strstr(available, "serial") != NULL);
    CHECK(compiled && available && names_within(available, compiled));
    /* Static storage: the same pointer on every call. */
    CHECK(usearch_hardware_acceleration_compiled() == compiled);
    CHECK(usearch_hardware_acceleration_available() == available);
}

/* ---- init ------------------------------------------------------------------------------- */

static void test_init_defaults(void) {
    usearch_init_options_t o = make_options(usearch_metric_cos_k, usearch_scalar_f32_k, 3);
    usearch_error_t err = untouched_marker;
    usearch_index_t index = usearch_init(&o, &err);
    char const* isa;
    CHECK(index != NULL);
    CHECK(err == untouched_marker); /* success leaves the slot alone */
    CHECK_SIZE(usearch_connectivity(index, &err), 16);
    CHECK_SIZE(usearch_expansion_add(index, &err), 128);
    CHECK_SIZE(usearch_expansion_search(index, &err), 64);
    CHECK_SIZE(usearch_capacity(index, &err), 0);
    CHECK_SIZE(usearch_size(index, &err), 0);
    CHECK_SIZE(usearch_dimensions(index, &err), 3);
    isa = usearch_hardware_acceleration(index, &err);
    CHECK(isa != NULL && isa[0] != '\0' && strcmp(isa, "uninitialized") != 0);
    CHECK(isa && names_within(isa, usearch_hardware_acceleration_available()));
    CHECK(err == untouched_marker);
    /* The options are read, never written. */
    CHECK(o.connectivity == 0 && o.expansion_add == 0 && o.expansion_search == 0);

    /* Expansions: 0 is stored as 0 and reported as 0. */
    usearch_change_expansion_add(index, 0, &err);
    usearch_change_expansion_search(index, 7, &err);
    CHECK_SIZE(usearch_expansion_add(index, &err), 0);
    CHECK_SIZE(usearch_expansion_search(index, &err), 7);
    usearch_change_threads_add(index, 4, &err);
    usearch_change_threads_search(index, 4, &err);
    CHECK(err == untouched_marker);
    usearch_free(index, &err);
    CHECK(err == untouched_marker);

    /* Explicit values are kept. */
    o = make_options(usearch_metric_l2sq_k, usearch_scalar_f16_k, 5);
    o.connectivity = 8;
    o.expansion_add = 40;
    o.expansion_search = 20;
    err = NULL;
    index = usearch_init(&o, &err);
    CHECK(index != NULL);
    CHECK_OK(err);
    CHECK_SIZE(usearch_connectivity(index, NULL), 8);
    CHECK_SIZE(usearch_expansion_add(index, NULL), 40);
    CHECK_SIZE(usearch_expansion_search(index, NULL), 20);
    usearch_free(index, NULL);

    /* Every numeric storage kind works with cos; b1 with the bit metrics; zero dimensions too. */
    {
        usearch_scalar_kind_t kinds[] = {usearch_scalar_f64_k, usearch_scalar_f32_k, usearch_scalar_bf16_k,
                                         usearch_scalar_f16_k, usearch_scalar_i8_k,  usearch_scalar_u8_k};
        usearch_metric_kind_t bit_metrics[] = {usearch_metric_hamming_k, usearch_metric_jaccard_k,
                                               usearch_metric_tanimoto_k, usearch_metric_sorensen_k};
        size_t i;
        for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); ++i) {
            index = new_index(usearch_metric_cos_k, kinds[i], 4, false, 0);
            usearch_free(index, NULL);
        }
        for (i = 0; i < sizeof(bit_metrics) / sizeof(bit_metrics[0]); ++i) {
            index = new_index(bit_metrics[i], usearch_scalar_b1_k, 64, false, 0);
            usearch_free(index, NULL);
        }
        /* Bit metrics are accepted on any real kind (upstream: verified for hamming + f32). */
        index = new_index(usearch_metric_hamming_k, usearch_scalar_f32_k, 4, false, 0);
        usearch_free(index, NULL);
        index = new_index(usearch_metric_haversine_k, usearch_scalar_f64_k, 2, false, 0);
        usearch_free(index, NULL);
        index = new_index(usearch_metric_cos_k, usearch_scalar_f32_k, 0, false, 0);
        CHECK_SIZE(usearch_dimensions(index, NULL), 0);
        usearch_free(index, NULL);
    }
}

static void expect_init_error(usearch_init_options_t o, char const* message, int line) {
    usearch_error_t err = NULL;
    usearch_index_t index = usearch_init(&o, &err);
    char what[64];
    snprintf(what, sizeof(what), "init error (case at line %d)", line);
    record(index == NULL, __FILE__, line, "usearch_init returned NULL");
    check_string(err, message, __FILE__, line, what);
    if (index) usearch_free(index, NULL);
    /* A NULL error pointer on the same failure must not crash. */
    index = usearch_init(&o, NULL);
    record(index == NULL, __FILE__, line, "usearch_init with NULL error returned NULL");
    if (index) usearch_free(index, NULL);
}

static void test_init_errors(void) {
    static char const unknown_metric[] = "Unknown metric kind!";
    static char const unknown_scalar[] = "Unknown scalar kind!";
    usearch_init_options_t o = make_options(usearch_metric_cos_k, usearch_scalar_f32_k, 4);

    o.connectivity = 1;
    expect_init_error(o, "Connectivity must be at least 2, otherwise the index degenerates into ropes", __LINE__);
    o.connectivity = (size_t)1 << (sizeof(size_t) * 8 - 2);
    expect_init_error(o, "Connectivity is too large", __LINE__);

    expect_init_error(make_options(usearch_metric_haversine_k, usearch_scalar_f16_k, 2), unknown_metric, __LINE__);
    expect_init_error(make_options(usearch_metric_cos_k, usearch_scalar_b1_k, 8), unknown_metric, __LINE__);
    expect_init_error(make_options(usearch_metric_divergence_k, usearch_scalar_i8_k, 4), unknown_metric, __LINE__);
    expect_init_error(make_options(usearch_metric_divergence_k, usearch_scalar_u8_k, 4), unknown_metric, __LINE__);
    expect_init_error(make_options(usearch_metric_haversine_k, usearch_scalar_i8_k, 2), unknown_metric, __LINE__);
    expect_init_error(make_options(usearch_metric_ip_k, usearch_scalar_b1_k, 8), unknown_metric, __LINE__);
    /* No metric at all (upstream returns a handle that crashes later). */
    expect_init_error(make_options(usearch_metric_unknown_k, usearch_scalar_f32_k, 4), unknown_metric, __LINE__);
    /* Unknown quantization, with a numeric and with a bit metric. Upstream says "Unknown metric
     * kind!" here too; this library names what is wrong (docs/c-api.md, "Differences from upstream"). */
    expect_init_error(make_options(usearch_metric_cos_k, usearch_scalar_unknown_k, 4), unknown_scalar, __LINE__);
    expect_init_error(make_options(usearch_metric_hamming_k, usearch_scalar_unknown_k, 8), unknown_scalar, __LINE__);
    /* Values outside both enums. */
    expect_init_error(make_options((usearch_metric_kind_t)77, usearch_scalar_f32_k, 4), unknown_metric, __LINE__);
    expect_init_error(make_options(usearch_metric_cos_k, (usearch_scalar_kind_t)99, 4), unknown_scalar, __LINE__);
}

/* ---- empty shell and NULL handles -------------------------------------------------------- */

static void test_empty_shell(void) {
    usearch_error_t err = untouched_marker;
    usearch_index_t shell = usearch_init(NULL, &err);
    float vector[3] = {1, 2, 3};
    usearch_key_t keys[2] = {5, 5};
    usearch_distance_t distances[2] = {5, 5};
    size_t found;

    CHECK(shell != NULL);
    CHECK(err == untouched_marker);
    CHECK_SIZE(usearch_dimensions(shell, &err), 0);
    CHECK_STR(usearch_hardware_acceleration(shell, &err), "uninitialized");
    CHECK(!usearch_contains(shell, 1, &err));
    CHECK_SIZE(usearch_count(shell, 1, &err), 0);
    CHECK_SIZE(usearch_size(shell, &err), 0);
    CHECK_SIZE(usearch_capacity(shell, &err), 0);
    CHECK_SIZE(usearch_connectivity(shell, &err), 0);
    (void)usearch_memory_usage(shell, &err);
    CHECK_SIZE(usearch_get(shell, 1, 1, vector, usearch_scalar_f32_k, &err), 0);
    CHECK(err == untouched_marker);

    err = NULL;
    usearch_add(shell, 1, vector, usearch_scalar_f32_k, &err);
    CHECK(err != NULL);
    CHECK_SIZE(usearch_size(shell, NULL), 0);
    err = NULL;
    found = usearch_search(shell, vector, usearch_scalar_f32_k, 2, keys, distances, &err);
    CHECK_SIZE(found, 0);
    CHECK(err != NULL);
    err = NULL;
    found = usearch_filtered_search(shell, vector, usearch_scalar_f32_k, 2, NULL, NULL, keys, distances, &err);
    CHECK_SIZE(found, 0);
    CHECK(err != NULL);
    err = NULL;
    usearch_reserve(shell, 10, &err);
    CHECK(err != NULL);
    err = NULL;
    CHECK_SIZE(usearch_remove(shell, 1, &err), 0);
    CHECK(err != NULL);
    err = NULL;
    CHECK_SIZE(usearch_rename(shell, 1, 2, &err), 0);
    CHECK(err != NULL);
    err = NULL;
    usearch_change_metric_kind(shell, usearch_metric_cos_k, &err);
    CHECK(err != NULL);
    /* NULL error pointers on the same failures. */
    usearch_add(shell, 1, vector, usearch_scalar_f32_k, NULL);
    CHECK_SIZE(usearch_search(shell, vector, usearch_scalar_f32_k, 2, keys, distances, NULL), 0);
    usearch_reserve(shell, 10, NULL);
    usearch_clear(shell, NULL);
    usearch_change_expansion_add(shell, 5, NULL);
    usearch_free(shell, NULL);

    /* A NULL handle: getters return 0, calls that can fail report it, free is a no-op. */
    err = untouched_marker;
    CHECK_SIZE(usearch_size(NULL, &err), 0);
    CHECK_SIZE(usearch_capacity(NULL, &err), 0);
    CHECK_SIZE(usearch_dimensions(NULL, &err), 0);
    CHECK(!usearch_contains(NULL, 1, &err));
    CHECK_SIZE(usearch_count(NULL, 1, &err), 0);
    CHECK_SIZE(usearch_get(NULL, 1, 1, vector, usearch_scalar_f32_k, &err), 0);
    usearch_free(NULL, &err);
    usearch_clear(NULL, &err);
    CHECK(err == untouched_marker);
    err = NULL;
    usearch_add(NULL, 1, vector, usearch_scalar_f32_k, &err);
    CHECK(err != NULL);
    err = NULL;
    CHECK_SIZE(usearch_search(NULL, vector, usearch_scalar_f32_k, 2, keys, distances, &err), 0);
    CHECK(err != NULL);
}

/* ---- capacity ----------------------------------------------------------------------------- */

static void test_capacity(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, false, 0);
    usearch_error_t err = NULL;
    float v[2];
    usearch_key_t key;
    usearch_key_t keys[3];
    usearch_distance_t distances[3];
    size_t memory_before, memory_after;

    v[0] = 1, v[1] = 1;
    usearch_add(index, 1, v, usearch_scalar_f32_k, &err);
    CHECK_STR(err, "Reserve capacity ahead of insertions!");
    CHECK_SIZE(usearch_size(index, NULL), 0);
    CHECK(!usearch_contains(index, 1, NULL));
    usearch_add(index, 1, v, usearch_scalar_f32_k, NULL); /* same failure, NULL error slot */

    memory_before = usearch_memory_usage(index, NULL);
    err = NULL;
    usearch_reserve(index, 10, &err);
    CHECK_OK(err);
    CHECK_SIZE(usearch_capacity(index, NULL), 10);
    memory_after = usearch_memory_usage(index, NULL);
    CHECK(memory_after > memory_before);
    usearch_reserve(index, 2, &err);
    CHECK_SIZE(usearch_capacity(index, NULL), 10);
    usearch_reserve(index, 0, &err);
    CHECK_SIZE(usearch_capacity(index, NULL), 10);
    CHECK_OK(err);

    for (key = 0; key < 10; ++key) {
        v[0] = (float)key, v[1] = 0;
        err = NULL;
        usearch_add(index, key, v, usearch_scalar_f32_k, &err);
        CHECK_OK(err);
    }
    CHECK_SIZE(usearch_size(index, NULL), 10);
    v[0] = 50, v[1] = 0;
    err = NULL;
    usearch_add(index, 10, v, usearch_scalar_f32_k, &err);
    CHECK_STR(err, "Reserve capacity ahead of insertions!");
    CHECK_SIZE(usearch_size(index, NULL), 10);
    /* The duplicate check comes first, even when the index is full. */
    err = NULL;
    usearch_add(index, 3, v, usearch_scalar_f32_k, &err);
    CHECK_STR(err, "Duplicate keys not allowed in high-level wrappers");

    /* A removed slot is reused without extra capacity. */
    err = NULL;
    CHECK_SIZE(usearch_remove(index, 3, &err), 1);
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 9);
    CHECK_SIZE(usearch_capacity(index, NULL), 10);
    v[0] = 100, v[1] = 0;
    usearch_add(index, 100, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 10);
    CHECK_SIZE(usearch_capacity(index, NULL), 10);
    CHECK(usearch_contains(index, 100, NULL));
    CHECK(!usearch_contains(index, 3, NULL));
    v[0] = 99, v[1] = 0;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 3, keys, distances, &err), 3);
    CHECK_OK(err);
    CHECK(keys[0] == 100);
    CHECK_NEAR(distances[0], 1.0, 1e-6);
    v[0] = 3, v[1] = 0;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 3, keys, distances, &err), 3);
    CHECK(keys[0] != 3 && keys[1] != 3 && keys[2] != 3);
    usearch_free(index, NULL);
}

/* ---- scalar kinds ---------------------------------------------------------------------------- */

static usearch_scalar_kind_t const caller_kinds[] = {usearch_scalar_f64_k, usearch_scalar_f32_k, usearch_scalar_bf16_k,
                                                     usearch_scalar_f16_k, usearch_scalar_i8_k,  usearch_scalar_u8_k,
                                                     usearch_scalar_b1_k};
static usearch_scalar_kind_t const rejected_kinds[] = {usearch_scalar_e5m2_k, usearch_scalar_e4m3_k,
                                                       usearch_scalar_e3m2_k, usearch_scalar_e2m3_k,
                                                       usearch_scalar_unknown_k, (usearch_scalar_kind_t)42};

static size_t bytes_of(usearch_scalar_kind_t kind, size_t dims) {
    switch (kind) {
    case usearch_scalar_f64_k: return dims * 8;
    case usearch_scalar_f32_k: return dims * 4;
    case usearch_scalar_bf16_k:
    case usearch_scalar_f16_k: return dims * 2;
    case usearch_scalar_i8_k:
    case usearch_scalar_u8_k: return dims;
    case usearch_scalar_b1_k: return (dims + 7) / 8;
    default: return 0;
    }
}

/* fill_vector writes the 8-element test vector number `which` in `kind`. */
static void fill_vector(usearch_scalar_kind_t kind, int which, void* out) {
    static float const floats[3][8] = {
        {1, -2, 0.5f, 0.25f, 3, 0, -1, 4}, {-1, 2, 0.75f, 8, -3, 1, 0.5f, -4}, {2, 2, 2, 2, -2, -2, -2, -2}};
    static signed char const i8s[3][8] = {
        {100, -20, 5, 0, 7, -127, 33, 1}, {-5, 17, 90, -90, 2, 3, 4, 5}, {60, 60, -60, -60, 60, 60, -60, -60}};
    static unsigned char const u8s[3][8] = {
        {200, 20, 5, 0, 7, 255, 33, 1}, {5, 170, 90, 90, 2, 3, 4, 5}, {60, 160, 60, 160, 60, 160, 60, 160}};
    static unsigned char const b1s[3] = {0x96, 0x3C, 0xF0};
    size_t i;
    switch (kind) {
    case usearch_scalar_f64_k:
        for (i = 0; i < 8; ++i) ((double*)out)[i] = floats[which][i];
        break;
    case usearch_scalar_f32_k: memcpy(out, floats[which], sizeof(floats[which])); break;
    case usearch_scalar_bf16_k:
        for (i = 0; i < 8; ++i) ((uint16_t*)out)[i] = bf16_of(floats[which][i]);
        break;
    case usearch_scalar_f16_k:
        for (i = 0; i < 8; ++i) ((uint16_t*)out)[i] = f16_of(floats[which][i]);
        break;
    case usearch_scalar_i8_k: memcpy(out, i8s[which], 8); break;
    case usearch_scalar_u8_k: memcpy(out, u8s[which], 8); break;
    case usearch_scalar_b1_k: *(unsigned char*)out = b1s[which]; break;
    default: break;
    }
}

/* Each caller kind in an index that stores the same kind: add, get and search round-trip. */
static void test_kinds_round_trip(void) {
    size_t k;
    for (k = 0; k < sizeof(caller_kinds) / sizeof(caller_kinds[0]); ++k) {
        usearch_scalar_kind_t kind = caller_kinds[k];
        usearch_metric_kind_t metric = kind == usearch_scalar_b1_k ? usearch_metric_hamming_k : usearch_metric_l2sq_k;
        usearch_index_t index = new_index(metric, kind, 8, false, 4);
        usearch_error_t err = NULL;
        unsigned char vectors[3][64], out[72];
        usearch_key_t keys[4];
        usearch_distance_t distances[4];
        int which;
        size_t bytes = bytes_of(kind, 8);
        for (which = 0; which < 3; ++which) {
            fill_vector(kind, which, vectors[which]);
            usearch_add(index, (usearch_key_t)(10 + which), vectors[which], kind, &err);
            CHECK_OK(err);
        }
        CHECK_SIZE(usearch_size(index, NULL), 3);
        for (which = 0; which < 3; ++which) {
            memset(out, 0xAB, sizeof(out));
            CHECK_SIZE(usearch_get(index, (usearch_key_t)(10 + which), 1, out, kind, &err), 1);
            CHECK(memcmp(out, vectors[which], bytes) == 0);
            CHECK(out[bytes] == 0xAB); /* nothing written past one vector */
            CHECK_SIZE(usearch_search(index, vectors[which], kind, 4, keys, distances, &err), 3);
            CHECK_OK(err);
            CHECK(keys[0] == (usearch_key_t)(10 + which));
            CHECK(distances[0] == 0);
            CHECK(keys[3] == 0 && isnan(distances[3]));
        }
        usearch_free(index, NULL);
    }
}

/* Every caller kind against an f32 index (conversions), and the kinds that are refused. */
static void test_kinds_conversions(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 8, false, 16);
    usearch_error_t err = NULL;
    float expected[8], got[8];
    double got64[8];
    uint16_t got16[8];
    unsigned char buffer[64];
    usearch_key_t keys[4];
    usearch_distance_t distances[4];
    size_t k, i;

    fill_vector(usearch_scalar_f32_k, 0, expected);
    /* f64, bf16 and f16 inputs of exactly representable values arrive unchanged. */
    for (k = 0; k < 4; ++k) {
        usearch_scalar_kind_t kind = caller_kinds[k];
        fill_vector(kind, 0, buffer);
        err = NULL;
        usearch_add(index, 100 + k, buffer, kind, &err);
        CHECK_OK(err);
        memset(got, 0, sizeof(got));
        CHECK_SIZE(usearch_get(index, 100 + k, 1, got, usearch_scalar_f32_k, &err), 1);
        CHECK(memcmp(got, expected, sizeof(got)) == 0);
        /* The same vector as a query of that kind: the exact match comes first. */
        CHECK(usearch_search(index, buffer, kind, 1, keys, distances, &err) == 1);
        CHECK_OK(err);
        CHECK(distances[0] == 0);
    }
    /* Reading back as f64, bf16, f16. */
    CHECK_SIZE(usearch_get(index, 100, 1, got64, usearch_scalar_f64_k, &err), 1);
    for (i = 0; i < 8; ++i) CHECK(got64[i] == (double)expected[i]);
    CHECK_SIZE(usearch_get(index, 100, 1, got16, usearch_scalar_bf16_k, &err), 1);
    for (i = 0; i < 8; ++i) CHECK(float_of_bf16(got16[i]) == expected[i]);
    CHECK_SIZE(usearch_get(index, 100, 1, got16, usearch_scalar_f16_k, &err), 1);
    for (i = 0; i < 8; ++i) CHECK(float_of_f16(got16[i]) == expected[i]);
    CHECK_OK(err);

    /* i8 input: element / 127; u8 input: element / 255; b1 input: bits as 1 and 0. */
    {
        signed char i8[8];
        unsigned char u8[8], b1 = 0x96; /* 1001 0110 */
        fill_vector(usearch_scalar_i8_k, 0, i8);
        fill_vector(usearch_scalar_u8_k, 0, u8);
        usearch_add(index, 200, i8, usearch_scalar_i8_k, &err);
        usearch_add(index, 201, u8, usearch_scalar_u8_k, &err);
        usearch_add(index, 202, &b1, usearch_scalar_b1_k, &err);
        CHECK_OK(err);
        CHECK_SIZE(usearch_get(index, 200, 1, got, usearch_scalar_f32_k, &err), 1);
        for (i = 0; i < 8; ++i) CHECK_NEAR(got[i], i8[i] / 127.0, 1e-6);
        CHECK_SIZE(usearch_get(index, 201, 1, got, usearch_scalar_f32_k, &err), 1);
        for (i = 0; i < 8; ++i) CHECK_NEAR(got[i], u8[i] / 255.0, 1e-6);
        CHECK_SIZE(usearch_get(index, 202, 1, got, usearch_scalar_f32_k, &err), 1);
        for (i = 0; i < 8; ++i) CHECK(got[i] == ((0x96 >> (7 - i)) & 1 ? 1.0f : 0.0f));
        /* Queries of those kinds are accepted and answered. */
        CHECK(usearch_search(index, i8, usearch_scalar_i8_k, 2, keys, distances, &err) == 2);
        CHECK(usearch_search(index, u8, usearch_scalar_u8_k, 2, keys, distances, &err) == 2);
        CHECK(usearch_search(index, &b1, usearch_scalar_b1_k, 2, keys, distances, &err) == 2);
        CHECK_OK(err);
        /* Reading an f32 vector as b1: positive elements become set bits. */
        b1 = 0;
        CHECK_SIZE(usearch_get(index, 100, 1, &b1, usearch_scalar_b1_k, &err), 1);
        CHECK(b1 == 0xB9); /* 1 -2 .5 .25 3 0 -1 4 -> 1 0 1 1 1 0 0 1 */
    }

    /* Kinds that are not caller kinds. */
    for (k = 0; k < sizeof(rejected_kinds) / sizeof(rejected_kinds[0]); ++k) {
        usearch_scalar_kind_t kind = rejected_kinds[k];
        size_t size_before = usearch_size(index, NULL);
        memset(buffer, 1, sizeof(buffer));
        err = NULL;
        usearch_add(index, 300 + k, buffer, kind, &err);
        CHECK_STR(err, "Unknown scalar kind!");
        CHECK_SIZE(usearch_size(index, NULL), size_before);
        CHECK(!usearch_contains(index, 300 + k, NULL));
        usearch_add(index, 300 + k, buffer, kind, NULL);
        err = NULL;
        keys[0] = 77, distances[0] = 77;
        CHECK_SIZE(usearch_search(index, buffer, kind, 2, keys, distances, &err), 0);
        CHECK_STR(err, "Unknown scalar kind!");
        CHECK(keys[0] == 77 && distances[0] == 77); /* arrays untouched on error */
        err = NULL;
        CHECK_SIZE(usearch_filtered_search(index, buffer, kind, 2, NULL, NULL, keys, distances, &err), 0);
        CHECK_STR(err, "Unknown scalar kind!");
        err = NULL;
        CHECK_SIZE(usearch_get(index, 100, 1, buffer, kind, &err), 0);
        CHECK_STR(err, "Unknown scalar kind!");
        CHECK_SIZE(usearch_get(index, 100, 1, buffer, kind, NULL), 0);
    }
    usearch_free(index, NULL);

    /* Quantizing conversions (docs/file-format.md, "Conversions"). */
    {
        float f34[2] = {3, 4}, f3m4[2] = {3, -4};
        float bits_in[10] = {1, -1, 0, 2, 0.1f, 0, 0, 0, 5, -3};
        signed char i8_out[3], i8_in[3] = {-10, 20, 40};
        unsigned char u8_out[3], u8_in[3] = {200, 100, 255}, b1_out[2];
        float f_out[10];

        err = NULL;
        index = new_index(usearch_metric_cos_k, usearch_scalar_i8_k, 2, false, 4);
        usearch_add(index, 1, f34, usearch_scalar_f32_k, &err);
        CHECK_OK(err);
        CHECK_SIZE(usearch_get(index, 1, 1, i8_out, usearch_scalar_i8_k, &err), 1);
        CHECK(i8_out[0] == 76 && i8_out[1] == 101);
        CHECK_SIZE(usearch_get(index, 1, 1, f_out, usearch_scalar_f32_k, &err), 1);
        CHECK_NEAR(f_out[0], 0.598425, 1e-5);
        CHECK_NEAR(f_out[1], 0.795276, 1e-5);
        usearch_free(index, NULL);

        index = new_index(usearch_metric_cos_k, usearch_scalar_u8_k, 2, false, 4);
        usearch_add(index, 1, f3m4, usearch_scalar_f32_k, &err);
        CHECK_SIZE(usearch_get(index, 1, 1, u8_out, usearch_scalar_u8_k, &err), 1);
        CHECK(u8_out[0] == 153 && u8_out[1] == 0);
        usearch_free(index, NULL);

        index = new_index(usearch_metric_cos_k, usearch_scalar_u8_k, 3, false, 4);
        usearch_add(index, 1, i8_in, usearch_scalar_i8_k, &err);
        CHECK_SIZE(usearch_get(index, 1, 1, u8_out, usearch_scalar_u8_k, &err), 1);
        CHECK(u8_out[0] == 0 && u8_out[1] == 111 && u8_out[2] == 222);
        usearch_free(index, NULL);

        /* u8 into i8 storage reproduces upstream: always zero. */
        index = new_index(usearch_metric_l2sq_k, usearch_scalar_i8_k, 3, false, 4);
        usearch_add(index, 1, u8_in, usearch_scalar_u8_k, &err);
        CHECK_SIZE(usearch_get(index, 1, 1, i8_out, usearch_scalar_i8_k, &err), 1);
        CHECK(i8_out[0] == 0 && i8_out[1] == 0 && i8_out[2] == 0);
        usearch_free(index, NULL);

        index = new_index(usearch_metric_hamming_k, usearch_scalar_b1_k, 10, false, 4);
        usearch_add(index, 1, bits_in, usearch_scalar_f32_k, &err);
        CHECK_SIZE(usearch_get(index, 1, 1, b1_out, usearch_scalar_b1_k, &err), 1);
        CHECK(b1_out[0] == 0x98 && b1_out[1] == 0x80);
        CHECK_SIZE(usearch_get(index, 1, 1, f_out, usearch_scalar_f32_k, &err), 1);
        CHECK(f_out[0] == 1 && f_out[1] == 0 && f_out[3] == 1 && f_out[4] == 1 && f_out[8] == 1 && f_out[9] == 0);
        CHECK_OK(err);
        usearch_free(index, NULL);
    }
}

/* ---- search padding ------------------------------------------------------------------------ */

static void test_search_padding(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, false, 8);
    usearch_error_t err = NULL;
    float v[2] = {0, 0};
    usearch_key_t keys[6];
    usearch_distance_t distances[6];
    size_t i, found;

    /* Empty index: 0 found, every position padded. */
    for (i = 0; i < 6; ++i) keys[i] = 9, distances[i] = 9;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 4, keys, distances, &err), 0);
    CHECK_OK(err);
    for (i = 0; i < 4; ++i) CHECK(keys[i] == 0 && isnan(distances[i]));
    CHECK(keys[4] == 9 && distances[4] == 9); /* nothing past count */

    for (i = 0; i < 3; ++i) {
        v[0] = (float)i, v[1] = 0;
        usearch_add(index, 1 + i, v, usearch_scalar_f32_k, &err);
    }
    CHECK_OK(err);
    v[0] = 0;
    for (i = 0; i < 6; ++i) keys[i] = 9, distances[i] = 9;
    found = usearch_search(index, v, usearch_scalar_f32_k, 5, keys, distances, &err);
    CHECK_SIZE(found, 3);
    CHECK(keys[0] == 1 && keys[1] == 2 && keys[2] == 3);
    CHECK(distances[0] == 0 && distances[1] == 1 && distances[2] == 4);
    CHECK(keys[3] == 0 && keys[4] == 0);
    CHECK(isnan(distances[3]) && isnan(distances[4]));
    CHECK(keys[5] == 9 && distances[5] == 9);

    /* count 0 writes nothing, also with NULL arrays. */
    for (i = 0; i < 6; ++i) keys[i] = 9, distances[i] = 9;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 0, keys, distances, &err), 0);
    CHECK(keys[0] == 9 && distances[0] == 9);
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 0, NULL, NULL, &err), 0);
    CHECK_OK(err);

    /* count smaller than size: exactly count results, ascending. */
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 2, keys, distances, &err), 2);
    CHECK(keys[0] == 1 && keys[1] == 2 && distances[0] <= distances[1]);

    /* NULL query or outputs: an error, not a crash. */
    err = NULL;
    CHECK_SIZE(usearch_search(index, NULL, usearch_scalar_f32_k, 2, keys, distances, &err), 0);
    CHECK(err != NULL);
    err = NULL;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 2, NULL, distances, &err), 0);
    CHECK(err != NULL);
    usearch_free(index, NULL);
}

/* ---- get, single and multi --------------------------------------------------------------- */

static void test_get_single_multi(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, false, 8);
    usearch_error_t err = NULL;
    float v[2] = {1, 2}, out[8];
    usearch_key_t keys[8];
    usearch_distance_t distances[8];
    size_t i, found;

    usearch_add(index, 5, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    /* Single index: count is ignored, one vector is written even for count 0. */
    for (i = 0; i < 8; ++i) out[i] = -7;
    CHECK_SIZE(usearch_get(index, 5, 0, out, usearch_scalar_f32_k, &err), 1);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == -7);
    for (i = 0; i < 8; ++i) out[i] = -7;
    CHECK_SIZE(usearch_get(index, 5, 4, out, usearch_scalar_f32_k, &err), 1);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == -7);
    /* Missing key: 0 and buffer untouched. */
    for (i = 0; i < 8; ++i) out[i] = -7;
    CHECK_SIZE(usearch_get(index, 6, 1, out, usearch_scalar_f32_k, &err), 0);
    CHECK(out[0] == -7);
    CHECK_SIZE(usearch_count(index, 5, NULL), 1);
    CHECK_SIZE(usearch_count(index, 6, NULL), 0);
    CHECK_OK(err);
    /* NULL output buffer: 0 and an error, no crash. */
    err = NULL;
    CHECK_SIZE(usearch_get(index, 5, 1, NULL, usearch_scalar_f32_k, &err), 0);
    CHECK(err != NULL);
    usearch_free(index, NULL);

    /* Multi index: several vectors per key. */
    index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, true, 8);
    err = NULL;
    for (i = 0; i < 3; ++i) {
        v[0] = (float)(10 * i), v[1] = 1;
        usearch_add(index, 7, v, usearch_scalar_f32_k, &err);
    }
    v[0] = 5, v[1] = 5;
    usearch_add(index, 8, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 4);
    CHECK_SIZE(usearch_count(index, 7, NULL), 3);
    CHECK(usearch_contains(index, 7, NULL));
    for (i = 0; i < 8; ++i) out[i] = -7;
    CHECK_SIZE(usearch_get(index, 7, 0, out, usearch_scalar_f32_k, &err), 0);
    CHECK(out[0] == -7);
    CHECK_SIZE(usearch_get(index, 7, 2, out, usearch_scalar_f32_k, &err), 2);
    CHECK(out[4] == -7);
    for (i = 0; i < 8; ++i) out[i] = -7;
    CHECK_SIZE(usearch_get(index, 7, 10, out, usearch_scalar_f32_k, &err), 3);
    {
        /* Order is unspecified: each of 0, 10, 20 exactly once. */
        int seen[3] = {0, 0, 0};
        for (i = 0; i < 3; ++i) {
            int which = (int)(out[2 * i] / 10);
            CHECK(out[2 * i + 1] == 1);
            if (which >= 0 && which < 3 && out[2 * i] == (float)(10 * which)) seen[which]++;
        }
        CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
        CHECK(out[6] == -7);
    }
    /* A key may appear once per matching vector in results. */
    v[0] = 10, v[1] = 1;
    found = usearch_search(index, v, usearch_scalar_f32_k, 4, keys, distances, &err);
    CHECK_SIZE(found, 4);
    {
        size_t sevens = 0;
        for (i = 0; i < found; ++i) sevens += keys[i] == 7;
        CHECK_SIZE(sevens, 3);
    }
    CHECK(keys[0] == 7 && distances[0] == 0);
    CHECK_OK(err);
    usearch_free(index, NULL);
}

/* ---- remove, rename, keys ----------------------------------------------------------------- */

static void test_remove_rename(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, false, 16);
    usearch_error_t err = NULL;
    float v[2];
    usearch_key_t key, keys[4];
    usearch_distance_t distances[4];

    for (key = 1; key <= 5; ++key) {
        v[0] = (float)key, v[1] = 0;
        usearch_add(index, key, v, usearch_scalar_f32_k, &err);
    }
    CHECK_OK(err);

    /* remove */
    CHECK_SIZE(usearch_remove(index, 42, &err), 0);
    CHECK_OK(err);
    CHECK_SIZE(usearch_remove(index, 2, &err), 1);
    CHECK_OK(err);
    CHECK(!usearch_contains(index, 2, NULL));
    CHECK_SIZE(usearch_size(index, NULL), 4);
    CHECK_SIZE(usearch_remove(index, 2, &err), 0);
    v[0] = 2, v[1] = 0;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 4, keys, distances, &err), 4);
    CHECK(keys[0] != 2 && keys[1] != 2 && keys[2] != 2 && keys[3] != 2);

    /* rename */
    CHECK_SIZE(usearch_rename(index, 3, 3, &err), 1); /* same key: count, nothing changes */
    CHECK_SIZE(usearch_rename(index, 42, 42, &err), 0);
    CHECK_SIZE(usearch_rename(index, 42, 43, &err), 0); /* missing source: 0, no error */
    CHECK_OK(err);
    CHECK(!usearch_contains(index, 43, NULL));
    CHECK_SIZE(usearch_rename(index, 3, 30, &err), 1);
    CHECK_OK(err);
    CHECK(!usearch_contains(index, 3, NULL));
    CHECK(usearch_contains(index, 30, NULL));
    v[0] = 3, v[1] = 0;
    CHECK(usearch_search(index, v, usearch_scalar_f32_k, 1, keys, distances, &err) == 1);
    CHECK(keys[0] == 30 && distances[0] == 0);
    CHECK_SIZE(usearch_rename(index, 30, 4, &err), 0);
    CHECK_STR(err, "Renaming impossible, the key is already in use");
    CHECK(usearch_contains(index, 30, NULL) && usearch_contains(index, 4, NULL));
    CHECK_SIZE(usearch_count(index, 4, NULL), 1);
    CHECK_SIZE(usearch_rename(index, 30, 4, NULL), 0);
    /* The reserved key cannot be a target. */
    err = NULL;
    CHECK_SIZE(usearch_rename(index, 30, UINT64_MAX, &err), 0);
    CHECK(err != NULL);
    CHECK(usearch_contains(index, 30, NULL));

    /* key UINT64_MAX is refused by add */
    err = NULL;
    v[0] = 9, v[1] = 9;
    usearch_add(index, UINT64_MAX, v, usearch_scalar_f32_k, &err);
    CHECK(err != NULL);
    CHECK(!usearch_contains(index, UINT64_MAX, NULL));
    CHECK_SIZE(usearch_size(index, NULL), 4);
    usearch_add(index, UINT64_MAX, v, usearch_scalar_f32_k, NULL);
    /* UINT64_MAX - 1 is an ordinary key; 0 too. */
    err = NULL;
    usearch_add(index, UINT64_MAX - 1, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    v[0] = -9;
    usearch_add(index, 0, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    CHECK(usearch_contains(index, UINT64_MAX - 1, NULL) && usearch_contains(index, 0, NULL));

    /* duplicates */
    usearch_add(index, 1, v, usearch_scalar_f32_k, &err);
    CHECK_STR(err, "Duplicate keys not allowed in high-level wrappers");
    CHECK_SIZE(usearch_count(index, 1, NULL), 1);
    usearch_add(index, 1, v, usearch_scalar_f32_k, NULL);

    /* NULL vector */
    err = NULL;
    usearch_add(index, 77, NULL, usearch_scalar_f32_k, &err);
    CHECK(err != NULL);
    CHECK(!usearch_contains(index, 77, NULL));
    usearch_free(index, NULL);

    /* Multi index: remove takes all vectors of a key; rename joins an existing key. */
    index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, true, 16);
    err = NULL;
    for (key = 0; key < 6; ++key) {
        v[0] = (float)key, v[1] = 1;
        usearch_add(index, key < 3 ? 1 : 2, v, usearch_scalar_f32_k, &err);
    }
    usearch_add(index, 3, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    CHECK_SIZE(usearch_rename(index, 1, 2, &err), 3);
    CHECK_OK(err);
    CHECK_SIZE(usearch_count(index, 2, NULL), 6);
    CHECK(!usearch_contains(index, 1, NULL));
    CHECK_SIZE(usearch_rename(index, 2, 2, &err), 6);
    CHECK_SIZE(usearch_remove(index, 2, &err), 6);
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 1);
    CHECK_SIZE(usearch_capacity(index, NULL), 16);
    usearch_free(index, NULL);
}

/* ---- error slot discipline ------------------------------------------------------------------ */

static void test_error_slot(void) {
    usearch_index_t index = new_index(usearch_metric_cos_k, usearch_scalar_f32_k, 3, false, 0);
    usearch_error_t err = untouched_marker;
    float v[3] = {1, 2, 3}, out[3];
    usearch_key_t keys[2];
    usearch_distance_t distances[2];

    /* Successful calls of every kind leave the slot untouched. */
    usearch_reserve(index, 4, &err);
    usearch_add(index, 1, v, usearch_scalar_f32_k, &err);
    (void)usearch_search(index, v, usearch_scalar_f32_k, 2, keys, distances, &err);
    (void)usearch_get(index, 1, 1, out, usearch_scalar_f32_k, &err);
    (void)usearch_contains(index, 1, &err);
    (void)usearch_count(index, 1, &err);
    (void)usearch_rename(index, 1, 2, &err);
    (void)usearch_remove(index, 2, &err);
    (void)usearch_size(index, &err);
    (void)usearch_memory_usage(index, &err);
    usearch_change_metric_kind(index, usearch_metric_ip_k, &err);
    (void)usearch_distance(v, v, usearch_scalar_f32_k, 3, usearch_metric_l2sq_k, &err);
    usearch_clear(index, &err);
    CHECK(err == untouched_marker);

    /* Failing calls accept a NULL error pointer. */
    usearch_change_metric_kind(index, usearch_metric_unknown_k, NULL);
    usearch_change_metric(index, NULL, NULL, usearch_metric_cos_k, NULL);
    CHECK(isnan(usearch_distance(v, v, usearch_scalar_f16_k, 2, usearch_metric_haversine_k, NULL)));
    usearch_exact_search(v, 1, 12, v, 1, 12, usearch_scalar_b1_k, 3, usearch_metric_cos_k, 1, 1, keys, 8, distances,
                         4, NULL);
    usearch_free(index, NULL);
}

/* ---- usearch_distance ---------------------------------------------------------------------- */

static void test_distance(void) {
    float a[3] = {1, 0, 0}, b[3] = {0, 1, 0};
    unsigned char x = 0x0F, y = 0x78;
    usearch_error_t err = NULL;
    usearch_distance_t d;

    CHECK_NEAR(usearch_distance(a, b, usearch_scalar_f32_k, 3, usearch_metric_cos_k, &err), 1.0, 1e-6);
    CHECK_NEAR(usearch_distance(a, b, usearch_scalar_f32_k, 3, usearch_metric_ip_k, &err), 1.0, 1e-6);
    CHECK_NEAR(usearch_distance(a, b, usearch_scalar_f32_k, 3, usearch_metric_l2sq_k, &err), 2.0, 1e-6);
    CHECK_NEAR(usearch_distance(a, a, usearch_scalar_f32_k, 3, usearch_metric_cos_k, &err), 0.0, 1e-6);
    CHECK_NEAR(usearch_distance(&x, &y, usearch_scalar_b1_k, 8, usearch_metric_hamming_k, &err), 6.0, 1e-6);
    CHECK_NEAR(usearch_distance(&x, &y, usearch_scalar_b1_k, 8, usearch_metric_tanimoto_k, &err), 0.857143, 1e-5);
    CHECK_NEAR(usearch_distance(&x, &y, usearch_scalar_b1_k, 8, usearch_metric_jaccard_k, &err), 0.857143, 1e-5);
    CHECK_NEAR(usearch_distance(&x, &y, usearch_scalar_b1_k, 8, usearch_metric_sorensen_k, &err), 0.75, 1e-5);
    CHECK_OK(err);
    {
        double p[2] = {0, 0}, q[2] = {0, 90};
        float pf[2] = {0, 0}, qf[2] = {90, 0};
        CHECK_NEAR(usearch_distance(p, q, usearch_scalar_f64_k, 2, usearch_metric_haversine_k, &err), half_pi, 1e-5);
        CHECK_NEAR(usearch_distance(pf, qf, usearch_scalar_f32_k, 2, usearch_metric_haversine_k, &err), half_pi,
                   1e-5);
    }
    {
        /* Other kinds through the same kernels as an index. */
        double a64[3] = {1, 0, 0}, b64[3] = {0, 1, 0};
        uint16_t a16[3], b16[3];
        signed char a8[3] = {10, 0, 0}, b8[3] = {10, 10, 0};
        size_t i;
        CHECK_NEAR(usearch_distance(a64, b64, usearch_scalar_f64_k, 3, usearch_metric_l2sq_k, &err), 2.0, 1e-6);
        for (i = 0; i < 3; ++i) a16[i] = f16_of(a[i]), b16[i] = f16_of(b[i]);
        CHECK_NEAR(usearch_distance(a16, b16, usearch_scalar_f16_k, 3, usearch_metric_l2sq_k, &err), 2.0, 1e-3);
        for (i = 0; i < 3; ++i) a16[i] = bf16_of(a[i]), b16[i] = bf16_of(b[i]);
        CHECK_NEAR(usearch_distance(a16, b16, usearch_scalar_bf16_k, 3, usearch_metric_ip_k, &err), 1.0, 1e-3);
        CHECK_NEAR(usearch_distance(a8, b8, usearch_scalar_i8_k, 3, usearch_metric_cos_k, &err), 1 - sqrt(0.5), 1e-3);
        CHECK_NEAR(usearch_distance(a8, a8, usearch_scalar_i8_k, 3, usearch_metric_cos_k, &err), 0.0, 1e-3);
        CHECK_OK(err);
    }

    /* Unsupported combinations: NaN and an error. */
    err = NULL;
    d = usearch_distance(a, b, usearch_scalar_f16_k, 2, usearch_metric_haversine_k, &err);
    CHECK(isnan(d));
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    err = NULL;
    d = usearch_distance(&x, &y, usearch_scalar_b1_k, 8, usearch_metric_cos_k, &err);
    CHECK(isnan(d));
    CHECK(err != NULL);
    err = NULL;
    d = usearch_distance(a, b, usearch_scalar_f32_k, 3, usearch_metric_unknown_k, &err);
    CHECK(isnan(d));
    CHECK(err != NULL);
    err = NULL;
    d = usearch_distance(a, b, usearch_scalar_i8_k, 3, usearch_metric_divergence_k, &err);
    CHECK(isnan(d));
    CHECK(err != NULL);
    err = NULL;
    d = usearch_distance(a, b, usearch_scalar_unknown_k, 3, usearch_metric_l2sq_k, &err);
    CHECK(isnan(d));
    CHECK(err != NULL);
    d = usearch_distance(a, b, usearch_scalar_f32_k, 3, usearch_metric_unknown_k, NULL);
    CHECK(isnan(d));
}

/* Every instruction set this CPU runs agrees with the portable kernels. */
static void test_isa_variants(void) {
    uint64_t seed = 12345;
    float a[37], b[37];
    usearch_metric_kind_t metrics[] = {usearch_metric_cos_k, usearch_metric_ip_k, usearch_metric_l2sq_k,
                                       usearch_metric_pearson_k};
    int isa, serial = -1, usable = 0;
    size_t m;
    random_vector(&seed, a, 37);
    random_vector(&seed, b, 37);
    for (isa = 0; usearchx_isa_name(isa) != NULL; ++isa)
        if (strcmp(usearchx_isa_name(isa), "serial") == 0) serial = isa;
    CHECK(serial >= 0);
    CHECK(usearchx_isa_name(-1) == NULL);
    if (serial < 0) return;
    CHECK(usearchx_isa_usable(serial));
    for (isa = 0; usearchx_isa_name(isa) != NULL; ++isa) {
        if (!usearchx_isa_usable(isa)) {
            usearch_error_t err = NULL;
            float r;
            CHECK(usearchx_distance_isa(isa, a, b, usearch_scalar_f32_k, 37, usearch_metric_cos_k, &r, &err) != 0);
            CHECK(err != NULL);
            continue;
        }
        usable++;
        for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]); ++m) {
            float expected = -1, actual = -2;
            usearch_error_t err = NULL;
            CHECK(usearchx_distance_isa(serial, a, b, usearch_scalar_f32_k, 37, metrics[m], &expected, &err) == 0);
            CHECK(usearchx_distance_isa(isa, a, b, usearch_scalar_f32_k, 37, metrics[m], &actual, &err) == 0);
            CHECK_NEAR(actual, expected, 1e-4);
            CHECK_OK(err);
        }
    }
    CHECK(usable >= 1);
}

/* ---- usearch_exact_search ------------------------------------------------------------------- */

static void test_exact_search(void) {
    /* 5 rows of 3 dims, padded to 4 floats; 2 queries padded to 5 floats. */
    float dataset[5][4] = {{0, 0, 0, 99}, {1, 0, 0, 99}, {0, 2, 0, 99}, {0, 0, 3, 99}, {1, 1, 1, 99}};
    float queries[2][5] = {{0.9f, 0, 0, 99, 99}, {0, 0, 2.9f, 99, 99}};
    usearch_key_t keys[2][8];
    usearch_distance_t distances[2][8];
    usearch_error_t err = NULL;
    size_t q, i;

    memset(keys, 0x55, sizeof(keys));
    memset(distances, 0x55, sizeof(distances));
    usearch_exact_search(dataset, 5, sizeof(dataset[0]), queries, 2, sizeof(queries[0]), usearch_scalar_f32_k, 3,
                         usearch_metric_l2sq_k, 3, 1, &keys[0][0], sizeof(keys[0]), &distances[0][0],
                         sizeof(distances[0]), &err);
    CHECK_OK(err);
    CHECK(keys[0][0] == 1 && keys[0][1] == 0 && keys[0][2] == 4);
    CHECK_NEAR(distances[0][0], 0.01, 1e-5);
    CHECK_NEAR(distances[0][1], 0.81, 1e-5);
    CHECK_NEAR(distances[0][2], 0.01 + 1 + 1, 1e-5);
    CHECK(keys[1][0] == 3);
    CHECK_NEAR(distances[1][0], 0.01, 1e-5);
    CHECK(keys[0][3] == 0x5555555555555555ULL); /* each output row holds exactly count entries */

    /* count > dataset_size: all rows, then key 0 / NaN. */
    usearch_exact_search(dataset, 5, sizeof(dataset[0]), queries, 2, sizeof(queries[0]), usearch_scalar_f32_k, 3,
                         usearch_metric_l2sq_k, 7, 1, &keys[0][0], sizeof(keys[0]), &distances[0][0],
                         sizeof(distances[0]), &err);
    CHECK_OK(err);
    for (q = 0; q < 2; ++q) {
        int seen = 0;
        for (i = 0; i < 5; ++i) {
            if (keys[q][i] < 5) seen |= 1 << keys[q][i];
            if (i) CHECK(distances[q][i - 1] <= distances[q][i]);
        }
        CHECK(seen == 0x1F);
        CHECK(keys[q][5] == 0 && keys[q][6] == 0);
        CHECK(isnan(distances[q][5]) && isnan(distances[q][6]));
        CHECK(keys[q][7] == 0x5555555555555555ULL);
    }

    /* Empty dataset: everything padded. */
    usearch_exact_search(dataset, 0, sizeof(dataset[0]), queries, 1, sizeof(queries[0]), usearch_scalar_f32_k, 3,
                         usearch_metric_l2sq_k, 2, 1, &keys[0][0], sizeof(keys[0]), &distances[0][0],
                         sizeof(distances[0]), &err);
    CHECK_OK(err);
    CHECK(keys[0][0] == 0 && keys[0][1] == 0 && isnan(distances[0][0]) && isnan(distances[0][1]));

    /* Ties with count 1: the lowest row index. */
    {
        float same[3][2] = {{1, 1}, {0, 0}, {0, 0}};
        float origin[2] = {0, 0};
        usearch_key_t key = 9;
        usearch_distance_t distance = 9;
        usearch_exact_search(same, 3, sizeof(same[0]), origin, 1, sizeof(origin), usearch_scalar_f32_k, 2,
                             usearch_metric_l2sq_k, 1, 1, &key, sizeof(key), &distance, sizeof(distance), &err);
        CHECK(key == 1 && distance == 0);
    }

    /* Unsupported combination: error. */
    err = NULL;
    usearch_exact_search(dataset, 5, sizeof(dataset[0]), queries, 2, sizeof(queries[0]), usearch_scalar_f16_k, 3,
                         usearch_metric_haversine_k, 3, 1, &keys[0][0], sizeof(keys[0]), &distances[0][0],
                         sizeof(distances[0]), &err);
    CHECK(err != NULL);

    /* threads 0 (all cores), 1 and 4 give identical results on a larger problem. */
    {
        enum { rows = 300, dims = 16, nq = 37, count = 10 };
        static float data[rows][dims], qs[nq][dims];
        static usearch_key_t k0[nq][count], k1[nq][count], k4[nq][count];
        static usearch_distance_t d0[nq][count], d1[nq][count], d4[nq][count];
        uint64_t seed = 99;
        size_t r, failures = 0;
        for (r = 0; r < rows; ++r) random_vector(&seed, data[r], dims);
        for (q = 0; q < nq; ++q) random_vector(&seed, qs[q], dims);
        err = NULL;
        usearch_exact_search(data, rows, sizeof(data[0]), qs, nq, sizeof(qs[0]), usearch_scalar_f32_k, dims,
                             usearch_metric_l2sq_k, count, 0, &k0[0][0], sizeof(k0[0]), &d0[0][0], sizeof(d0[0]),
                             &err);
        usearch_exact_search(data, rows, sizeof(data[0]), qs, nq, sizeof(qs[0]), usearch_scalar_f32_k, dims,
                             usearch_metric_l2sq_k, count, 1, &k1[0][0], sizeof(k1[0]), &d1[0][0], sizeof(d1[0]),
                             &err);
        usearch_exact_search(data, rows, sizeof(data[0]), qs, nq, sizeof(qs[0]), usearch_scalar_f32_k, dims,
                             usearch_metric_l2sq_k, count, 4, &k4[0][0], sizeof(k4[0]), &d4[0][0], sizeof(d4[0]),
                             &err);
        CHECK_OK(err);
        CHECK(memcmp(k0, k4, sizeof(k0)) == 0 && memcmp(d0, d4, sizeof(d0)) == 0);
        CHECK(memcmp(k0, k1, sizeof(k0)) == 0 && memcmp(d0, d1, sizeof(d0)) == 0);
        /* Against a brute force of our own. */
        for (q = 0; q < nq; ++q) {
            float best = FLT_MAX;
            usearch_key_t best_row = 0;
            for (r = 0; r < rows; ++r) {
                float d = l2sq(qs[q], data[r], dims);
                if (d < best) best = d, best_row = r;
            }
            if (k0[q][0] != best_row) failures++;
            for (i = 1; i < count; ++i)
                if (d0[q][i - 1] > d0[q][i]) failures++;
        }
        CHECK_SIZE(failures, 0);
    }
}

/* ---- filtered search -------------------------------------------------------------------------- */

struct filter_state {
    size_t calls;
    int answer_for_odd; /* what to return for odd keys (any non-zero keeps) */
};

static int odd_keys_only(usearch_key_t key, void* state) {
    struct filter_state* s = (struct filter_state*)state;
    s->calls++;
    return (key & 1) ? s->answer_for_odd : 0;
}

static int reject_all(usearch_key_t key, void* state) {
    (void)key;
    (void)state;
    return 0;
}

static void test_filtered_search(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, false, 200);
    usearch_error_t err = NULL;
    float v[2];
    usearch_key_t key, keys[12], plain_keys[12];
    usearch_distance_t distances[12], plain_distances[12];
    struct filter_state state = {0, 1};
    size_t i, found;

    for (key = 0; key < 200; ++key) {
        v[0] = (float)(key % 20), v[1] = (float)(key / 20);
        usearch_add(index, key, v, usearch_scalar_f32_k, &err);
    }
    CHECK_OK(err);
    v[0] = 10, v[1] = 5;
    found = usearch_filtered_search(index, v, usearch_scalar_f32_k, 10, odd_keys_only, &state, keys, distances, &err);
    CHECK_OK(err);
    CHECK_SIZE(found, 10);
    CHECK(state.calls > 0);
    for (i = 0; i < found; ++i) CHECK(keys[i] & 1);
    for (i = 1; i < found; ++i) CHECK(distances[i - 1] <= distances[i]);
    CHECK(keys[0] == 111 || keys[0] == 109); /* the odd keys at distance 1 */
    CHECK(distances[0] == 1);

    /* A negative return value also keeps the entry. */
    state.calls = 0, state.answer_for_odd = -1;
    found = usearch_filtered_search(index, v, usearch_scalar_f32_k, 10, odd_keys_only, &state, keys, distances, &err);
    CHECK_SIZE(found, 10);
    for (i = 0; i < found; ++i) CHECK(keys[i] & 1);

    /* Rejecting everything: nothing found, all positions padded. */
    found = usearch_filtered_search(index, v, usearch_scalar_f32_k, 3, reject_all, NULL, keys, distances, &err);
    CHECK_SIZE(found, 0);
    CHECK(keys[0] == 0 && isnan(distances[0]) && keys[2] == 0 && isnan(distances[2]));

    /* A NULL filter acts as an unfiltered search. */
    found = usearch_filtered_search(index, v, usearch_scalar_f32_k, 12, NULL, NULL, keys, distances, &err);
    CHECK_SIZE(found, 12);
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 12, plain_keys, plain_distances, &err), 12);
    CHECK(memcmp(keys, plain_keys, sizeof(keys)) == 0);
    CHECK(memcmp(distances, plain_distances, sizeof(distances)) == 0);
    CHECK(keys[0] == 110 && distances[0] == 0);
    CHECK_OK(err);

    /* Removed entries are never offered to the filter nor returned. */
    CHECK_SIZE(usearch_remove(index, 111, &err), 1);
    state.calls = 0, state.answer_for_odd = 1;
    found = usearch_filtered_search(index, v, usearch_scalar_f32_k, 10, odd_keys_only, &state, keys, distances, &err);
    CHECK_SIZE(found, 10);
    for (i = 0; i < found; ++i) CHECK(keys[i] != 111);
    usearch_free(index, NULL);
}

/* ---- custom metrics ------------------------------------------------------------------------ */

static size_t plain_metric_calls = 0;

/* Distance on the first coordinate only (ignores the second), f32 storage. */
static usearch_distance_t first_coordinate(void const* a, void const* b) {
    float const* x = (float const*)a;
    float const* y = (float const*)b;
    plain_metric_calls++;
    return (usearch_distance_t)fabs(x[0] - y[0]);
}

/* The same over f64 storage: proves the callback sees storage-format vectors. */
static usearch_distance_t first_coordinate_f64(void const* a, void const* b) {
    double const* x = (double const*)a;
    double const* y = (double const*)b;
    return (usearch_distance_t)fabs(x[0] - y[0]);
}

struct metric_state {
    size_t calls;
    size_t null_state_calls;
    float weight;
};

/* A stateful metric: called with three arguments when registered with a non-NULL state. */
static usearch_distance_t second_coordinate_stateful(void const* a, void const* b, void* state) {
    float const* x = (float const*)a;
    float const* y = (float const*)b;
    struct metric_state* s = (struct metric_state*)state;
    if (!s) {
        /* Unreachable when the library honours the three-argument rule; do not dereference. */
        return 0;
    }
    s->calls++;
    return s->weight * (usearch_distance_t)fabs(x[1] - y[1]);
}

static void test_custom_metrics(void) {
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 2, false, 64);
    usearch_error_t err = NULL;
    float v[2];
    usearch_key_t key, keys[4];
    usearch_distance_t distances[4];
    struct metric_state state = {0, 0, 2.0f};
    char const* native_isa = usearch_hardware_acceleration(index, NULL);

    /* Points on a grid: key = 10 * x + y, x and y in 0..5. */
    for (key = 0; key < 36; ++key) {
        v[0] = (float)(key / 6), v[1] = (float)(key % 6);
        usearch_add(index, 10 * (key / 6) + key % 6, v, usearch_scalar_f32_k, &err);
    }
    CHECK_OK(err);

    /* Two-argument metric. */
    usearch_change_metric(index, first_coordinate, NULL, usearch_metric_unknown_k, &err);
    CHECK_OK(err);
    CHECK_STR(usearch_hardware_acceleration(index, NULL), "serial");
    plain_metric_calls = 0;
    v[0] = 3, v[1] = 100; /* far away in y: only x counts */
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 4, keys, distances, &err), 4);
    CHECK_OK(err);
    CHECK(plain_metric_calls > 0);
    CHECK(keys[0] / 10 == 3 && distances[0] == 0);

    /* Three-argument metric with state. */
    usearch_change_metric(index, (usearch_metric_t)(void (*)(void))second_coordinate_stateful, &state,
                          usearch_metric_l2sq_k, &err);
    CHECK_OK(err);
    CHECK_STR(usearch_hardware_acceleration(index, NULL), "serial");
    v[0] = 100, v[1] = 4; /* far away in x: only y counts */
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 4, keys, distances, &err), 4);
    CHECK_OK(err);
    CHECK(state.calls > 0);
    CHECK(keys[0] % 10 == 4 && distances[0] == 0);
    CHECK(fmod(distances[3], 2.0) == 0); /* the weight 2 applies: distances are even */
    /* Adds also go through the custom metric. */
    state.calls = 0;
    v[0] = 7, v[1] = 7;
    usearch_add(index, 77, v, usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    CHECK(state.calls > 0);

    /* Back to a native metric. */
    usearch_change_metric_kind(index, usearch_metric_l2sq_k, &err);
    CHECK_OK(err);
    CHECK_STR(usearch_hardware_acceleration(index, NULL), native_isa);
    v[0] = 2.1f, v[1] = 3.1f;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 1, keys, distances, &err), 1);
    CHECK(keys[0] == 23);
    CHECK_NEAR(distances[0], 0.02, 1e-5);

    /* Errors: unsupported pairs and unknown leave the metric in place. */
    usearch_change_metric_kind(index, usearch_metric_unknown_k, &err);
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    err = NULL;
    usearch_change_metric_kind(index, (usearch_metric_kind_t)55, &err);
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    err = NULL;
    usearch_change_metric(index, NULL, NULL, usearch_metric_cos_k, &err);
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    err = NULL;
    usearch_change_metric(index, NULL, NULL, usearch_metric_unknown_k, &err);
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    err = NULL;
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 1, keys, distances, &err), 1);
    CHECK(keys[0] == 23);
    CHECK_OK(err);
    /* Other native kinds on f32 storage; haversine is fine on f32 too. */
    usearch_change_metric_kind(index, usearch_metric_cos_k, &err);
    usearch_change_metric_kind(index, usearch_metric_hamming_k, &err);
    usearch_change_metric_kind(index, usearch_metric_haversine_k, &err);
    CHECK_OK(err);
    usearch_free(index, NULL);

    /* On f16 storage, haversine and cos-on-bits pairs are refused. */
    index = new_index(usearch_metric_cos_k, usearch_scalar_f16_k, 2, false, 4);
    usearch_change_metric_kind(index, usearch_metric_haversine_k, &err);
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    CHECK(strcmp(usearch_hardware_acceleration(index, NULL), "uninitialized") != 0);
    usearch_free(index, NULL);
    err = NULL;
    index = new_index(usearch_metric_hamming_k, usearch_scalar_b1_k, 16, false, 4);
    usearch_change_metric_kind(index, usearch_metric_cos_k, &err);
    CHECK_STR(err, "Unsupported metric for this index's dimensions and scalar kind!");
    usearch_free(index, NULL);

    /* A custom metric given at init, with no metric kind; vectors reach it in storage format. */
    {
        usearch_init_options_t o = make_options(usearch_metric_unknown_k, usearch_scalar_f64_k, 2);
        o.metric = first_coordinate_f64;
        err = NULL;
        index = usearch_init(&o, &err);
        CHECK(index != NULL);
        CHECK_OK(err);
        if (index) {
            CHECK_STR(usearch_hardware_acceleration(index, NULL), "serial");
            usearch_reserve(index, 8, &err);
            for (key = 0; key < 5; ++key) {
                v[0] = (float)key, v[1] = (float)(10 - key);
                usearch_add(index, key, v, usearch_scalar_f32_k, &err);
            }
            v[0] = 2.25f, v[1] = -50;
            CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 2, keys, distances, &err), 2);
            CHECK_OK(err);
            CHECK(keys[0] == 2 && keys[1] == 3);
            CHECK_NEAR(distances[0], 0.25, 1e-6);
            usearch_free(index, NULL);
        }
    }
}

/* ---- clear ------------------------------------------------------------------------------------ */

static void test_clear(void) {
    usearch_index_t index = new_index(usearch_metric_cos_k, usearch_scalar_f32_k, 3, false, 20);
    usearch_error_t err = NULL;
    float v[3] = {1, 2, 3};
    usearch_key_t key, keys[2];
    usearch_distance_t distances[2];

    for (key = 0; key < 10; ++key) {
        v[0] = (float)key;
        usearch_add(index, key, v, usearch_scalar_f32_k, &err);
    }
    CHECK_OK(err);
    usearch_clear(index, &err);
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 0);
    CHECK_SIZE(usearch_capacity(index, NULL), 20);
    CHECK_SIZE(usearch_dimensions(index, NULL), 3);
    CHECK(!usearch_contains(index, 3, NULL));
    CHECK_SIZE(usearch_count(index, 3, NULL), 0);
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 2, keys, distances, &err), 0);
    CHECK(keys[0] == 0 && isnan(distances[0]));
    /* The same keys can be added again, up to the kept capacity. */
    for (key = 0; key < 20; ++key) {
        v[0] = (float)key;
        usearch_add(index, key, v, usearch_scalar_f32_k, &err);
    }
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 20);
    CHECK_SIZE(usearch_search(index, v, usearch_scalar_f32_k, 2, keys, distances, &err), 2);
    CHECK(keys[0] == 19);
    usearch_free(index, NULL);
}

/* ---- concurrency ------------------------------------------------------------------------------ */

enum { thread_count = 8, per_thread = 250, concurrent_dims = 24 };

struct worker {
    usearch_index_t index;
    int id;
    size_t add_errors;
    size_t search_errors;
    size_t self_hits;
    size_t searches;
    char const* first_error;
};

static void concurrent_vector(usearch_key_t key, float* v) {
    uint64_t seed = key * 0x9E3779B97F4A7C15ULL + 1;
    random_vector(&seed, v, concurrent_dims);
}

static void* worker_main(void* argument) {
    struct worker* w = (struct worker*)argument;
    float v[concurrent_dims];
    usearch_key_t keys[5];
    usearch_distance_t distances[5];
    size_t i;
    for (i = 0; i < per_thread; ++i) {
        usearch_key_t key = (usearch_key_t)(w->id * per_thread + i);
        usearch_error_t err = NULL;
        concurrent_vector(key, v);
        usearch_add(w->index, key, v, usearch_scalar_f32_k, &err);
        if (err) {
            w->add_errors++;
            if (!w->first_error) w->first_error = err;
        }
        if (i % 3 == 0) {
            err = NULL;
            usearch_search(w->index, v, usearch_scalar_f32_k, 5, keys, distances, &err);
            w->searches++;
            if (err) {
                w->search_errors++;
                if (!w->first_error) w->first_error = err;
            } else if (keys[0] == key) {
                w->self_hits++;
            }
            (void)usearch_contains(w->index, key, NULL);
            (void)usearch_size(w->index, NULL);
        }
    }
    return NULL;
}

/* One round: 8 threads add and search at once, then every vector is looked for. */
static void concurrent_round(int round, size_t* worst_self_found, size_t* worst_unreachable) {
    size_t const total = (size_t)thread_count * per_thread;
    usearch_index_t index = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, concurrent_dims, false, total);
    pthread_t threads[thread_count];
    struct worker workers[thread_count];
    size_t i, add_errors = 0, search_errors = 0, self_hits = 0, searches = 0, self_found = 0, unreachable = 0;
    int t;

    for (t = 0; t < thread_count; ++t) {
        memset(&workers[t], 0, sizeof(workers[t]));
        workers[t].index = index;
        workers[t].id = t;
    }
    for (t = 0; t < thread_count; ++t) CHECK(pthread_create(&threads[t], NULL, worker_main, &workers[t]) == 0);
    for (t = 0; t < thread_count; ++t) pthread_join(threads[t], NULL);
    for (t = 0; t < thread_count; ++t) {
        add_errors += workers[t].add_errors;
        search_errors += workers[t].search_errors;
        self_hits += workers[t].self_hits;
        searches += workers[t].searches;
        if (workers[t].first_error) fprintf(stderr, "round %d, thread %d: %s\n", round, t, workers[t].first_error);
    }
    CHECK_SIZE(add_errors, 0);
    CHECK_SIZE(search_errors, 0);
    if (self_hits * 100 < searches * 95)
        fprintf(stderr, "concurrency round %d: %zu of %zu searches for a just-added vector found it\n", round,
                self_hits, searches);
    CHECK(self_hits * 100 >= searches * 95); /* a just-added vector finds itself */
    CHECK_SIZE(usearch_size(index, NULL), total);
    CHECK_SIZE(usearch_capacity(index, NULL), total);

    /* Afterwards every key is there and finds itself with the default expansion; the few
     * that do not must be found with an expansion as large as the index (else the graph
     * lost every link into them). */
    for (i = 0; i < total; ++i) {
        float v[concurrent_dims];
        usearch_key_t key;
        usearch_distance_t distance;
        if (!usearch_contains(index, i, NULL)) CHECK(usearch_contains(index, i, NULL));
        concurrent_vector(i, v);
        if (usearch_search(index, v, usearch_scalar_f32_k, 1, &key, &distance, NULL) == 1 && key == i) {
            self_found++;
            continue;
        }
        usearch_change_expansion_search(index, total, NULL);
        if (!(usearch_search(index, v, usearch_scalar_f32_k, 1, &key, &distance, NULL) == 1 && key == i))
            unreachable++;
        usearch_change_expansion_search(index, 0, NULL);
    }
    {
        /* The core's own count: live nodes a walk of level 0 from the entry never meets, and
         * live nodes no level-0 list names (csrc/reach.hpp). */
        usearchx_reach_t reach;
        CHECK(usearchx_reach(index, &reach) == usearchx_ok_k);
        CHECK_SIZE(reach.live, total);
        CHECK_SIZE(reach.unreachable, 0);
        CHECK_SIZE(reach.orphans, 0);
    }
    if (self_found * 100 < total * 95 || unreachable > 0)
        fprintf(stderr, "concurrency round %d: %zu of %zu vectors find themselves, %zu unreachable\n", round,
                self_found, total, unreachable);
    if (self_found < *worst_self_found) *worst_self_found = self_found;
    if (unreachable > *worst_unreachable) *worst_unreachable = unreachable;
    usearch_free(index, NULL);
}

static void test_concurrency(void) {
    /* A graph built by concurrent adds must stay connected: every vector finds itself
     * (with an expansion as large as the index at worst). Several rounds, since
     * interleavings vary. Pruning used to leave a rare node without in-links (its reverse
     * links pruned by neighbours that were themselves being linked); the core now keeps a
     * node's last level-0 in-link (csrc/index.hpp, release_link), so none may be lost. */
    size_t worst_self_found = (size_t)-1, unreachable_sum = 0;
    int round;
    for (round = 0; round < 6; ++round) {
        size_t unreachable = 0;
        concurrent_round(round, &worst_self_found, &unreachable);
        unreachable_sum += unreachable;
    }
    CHECK(worst_self_found * 100 >= (size_t)thread_count * per_thread * 95);
    CHECK_SIZE(unreachable_sum, 0);
}

/* ---- extensions ------------------------------------------------------------------------------- */

static void test_extensions(void) {
    usearch_init_options_t o = make_options(usearch_metric_l2sq_k, usearch_scalar_f32_k, 4);
    usearch_index_t index = NULL;
    usearch_error_t err = NULL;
    float v[4], out[8];
    usearch_key_t key, keys[3];
    usearch_distance_t distances[3];
    size_t found = 99, moved = 99, removed = 99;
    unsigned char bytes[8];

    CHECK(usearchx_init(&o, &index, &err) == usearchx_ok_k);
    CHECK(index != NULL);
    CHECK_OK(err);
    CHECK(usearchx_init(NULL, &index, &err) == usearchx_invalid_argument_k);
    CHECK(err != NULL);
    {
        usearch_index_t bad = (usearch_index_t)&o;
        usearch_init_options_t b = o;
        b.connectivity = 1;
        err = NULL;
        CHECK(usearchx_init(&b, &bad, &err) == usearchx_invalid_argument_k);
        CHECK(bad == NULL);
        b = make_options(usearch_metric_haversine_k, usearch_scalar_f16_k, 2);
        CHECK(usearchx_init(&b, &bad, &err) == usearchx_unsupported_k);
        CHECK_STR(err, "Unknown metric kind!");
    }
    if (!index) return;

    /* Automatic growth: no reserve needed. */
    err = NULL;
    for (key = 0; key < 1000; ++key) {
        v[0] = (float)key, v[1] = (float)(key % 7), v[2] = 0, v[3] = 1;
        if (usearchx_add(index, key, v, usearch_scalar_f32_k, &err) != usearchx_ok_k) break;
    }
    CHECK_SIZE(key, 1000);
    CHECK_OK(err);
    CHECK_SIZE(usearch_size(index, NULL), 1000);
    CHECK(usearch_capacity(index, NULL) >= 1000);
    /* The upstream-compatible call still needs free capacity when the index is full. */
    while (usearch_size(index, NULL) < usearch_capacity(index, NULL)) {
        v[0] = (float)key;
        usearch_add(index, key++, v, usearch_scalar_f32_k, &err);
        if (err) break;
    }
    CHECK_OK(err);
    usearch_add(index, key, v, usearch_scalar_f32_k, &err);
    CHECK_STR(err, "Reserve capacity ahead of insertions!");
    err = NULL;
    CHECK(usearchx_add(index, key, v, usearch_scalar_f32_k, &err) == usearchx_ok_k);
    CHECK_OK(err);

    /* Status codes of failures. */
    CHECK(usearchx_add(index, 5, v, usearch_scalar_f32_k, &err) == usearchx_duplicate_key_k);
    CHECK_STR(err, "Duplicate keys not allowed in high-level wrappers");
    CHECK(usearchx_add(index, UINT64_MAX, v, usearch_scalar_f32_k, &err) == usearchx_reserved_key_k);
    CHECK(usearchx_add(index, 5000, v, (usearch_scalar_kind_t)42, &err) == usearchx_unsupported_k);
    CHECK_STR(err, "Unknown scalar kind!");
    CHECK(usearchx_add(index, 5000, NULL, usearch_scalar_f32_k, &err) == usearchx_invalid_argument_k);
    CHECK(usearchx_add(NULL, 5000, v, usearch_scalar_f32_k, &err) == usearchx_not_initialized_k);
    CHECK(usearchx_add(index, 5, v, usearch_scalar_f32_k, NULL) == usearchx_duplicate_key_k);

    /* search */
    err = NULL;
    v[0] = 500, v[1] = 500 % 7, v[2] = 0, v[3] = 1;
    CHECK(usearchx_search(index, v, usearch_scalar_f32_k, 3, keys, distances, &found, &err) == usearchx_ok_k);
    CHECK_OK(err);
    CHECK_SIZE(found, 3);
    CHECK(keys[0] == 500 && distances[0] == 0);
    found = 99;
    CHECK(usearchx_search(index, v, usearch_scalar_f32_k, 0, keys, distances, &found, &err) == usearchx_ok_k);
    CHECK_SIZE(found, 0);
    found = 99;
    CHECK(usearchx_search(index, v, usearch_scalar_unknown_k, 3, keys, distances, &found, &err) ==
          usearchx_unsupported_k);
    CHECK_SIZE(found, 0);
    CHECK(usearchx_search(NULL, v, usearch_scalar_f32_k, 3, keys, distances, &found, &err) ==
          usearchx_not_initialized_k);

    /* get: count is honoured on a single-vector index too */
    err = NULL;
    memset(out, 0, sizeof(out));
    CHECK(usearchx_get(index, 500, 1, out, usearch_scalar_f32_k, &found, &err) == usearchx_ok_k);
    CHECK_SIZE(found, 1);
    CHECK(out[0] == 500 && out[3] == 1);
    out[0] = -1;
    CHECK(usearchx_get(index, 500, 0, out, usearch_scalar_f32_k, &found, &err) == usearchx_ok_k);
    CHECK_SIZE(found, 0);
    CHECK(out[0] == -1);
    CHECK(usearchx_get(index, 123456, 1, out, usearch_scalar_f32_k, &found, &err) == usearchx_ok_k);
    CHECK_SIZE(found, 0);
    CHECK_OK(err);
    CHECK(usearchx_get(index, 500, 1, out, (usearch_scalar_kind_t)42, &found, &err) == usearchx_unsupported_k);
    CHECK_STR(err, "Unknown scalar kind!");
    CHECK(usearchx_get(NULL, 500, 1, out, usearch_scalar_f32_k, &found, &err) == usearchx_not_initialized_k);

    /* remove and rename */
    err = NULL;
    CHECK(usearchx_remove(index, 500, &removed, &err) == usearchx_ok_k);
    CHECK_SIZE(removed, 1);
    removed = 99;
    CHECK(usearchx_remove(index, 500, &removed, &err) == usearchx_ok_k);
    CHECK_SIZE(removed, 0);
    CHECK(usearchx_rename(index, 501, 500, &moved, &err) == usearchx_ok_k);
    CHECK_SIZE(moved, 1);
    CHECK(usearchx_rename(index, 12345, 54321, &moved, &err) == usearchx_ok_k);
    CHECK_SIZE(moved, 0);
    CHECK(usearchx_rename(index, 7, 7, &moved, &err) == usearchx_ok_k);
    CHECK_SIZE(moved, 1);
    CHECK_OK(err);
    moved = 99;
    CHECK(usearchx_rename(index, 500, 502, &moved, &err) == usearchx_duplicate_key_k);
    CHECK_STR(err, "Renaming impossible, the key is already in use");
    CHECK_SIZE(moved, 0);
    CHECK(usearchx_rename(index, 500, UINT64_MAX, &moved, &err) == usearchx_reserved_key_k);
    CHECK(usearchx_remove(NULL, 1, &removed, &err) == usearchx_not_initialized_k);
    CHECK(usearchx_rename(NULL, 1, 2, &moved, &err) == usearchx_not_initialized_k);

    /* reserve, distance, exact search, cast */
    err = NULL;
    CHECK(usearchx_reserve(index, 5000, &err) == usearchx_ok_k);
    CHECK_SIZE(usearch_capacity(index, NULL), 5000);
    {
        usearch_index_t shell = usearch_init(NULL, NULL);
        CHECK(usearchx_reserve(shell, 10, &err) == usearchx_not_initialized_k);
        CHECK(usearchx_add(shell, 1, v, usearch_scalar_f32_k, &err) == usearchx_not_initialized_k);
        usearch_free(shell, NULL);
    }
    {
        float a[3] = {1, 0, 0}, b[3] = {0, 1, 0}, result = 0;
        usearch_key_t k[2];
        usearch_distance_t d[2];
        err = NULL;
        CHECK(usearchx_distance(a, b, usearch_scalar_f32_k, 3, usearch_metric_l2sq_k, &result, &err) == usearchx_ok_k);
        CHECK_NEAR(result, 2.0, 1e-6);
        CHECK_OK(err);
        CHECK(usearchx_distance(a, b, usearch_scalar_f16_k, 2, usearch_metric_haversine_k, &result, &err) ==
              usearchx_unsupported_k);
        CHECK(isnan(result));
        CHECK(usearchx_exact_search(a, 1, sizeof(a), b, 1, sizeof(b), usearch_scalar_f32_k, 3,
                                    usearch_metric_l2sq_k, 2, 1, k, sizeof(k), d, sizeof(d),
                                    &err) == usearchx_ok_k);
        CHECK(k[0] == 0 && k[1] == 0 && isnan(d[1]));
        CHECK(usearchx_exact_search(a, 1, sizeof(a), b, 1, sizeof(b), usearch_scalar_b1_k, 3, usearch_metric_cos_k,
                                    1, 1, k, sizeof(k), d, sizeof(d), &err) == usearchx_unsupported_k);
    }
    {
        float f34[2] = {3, 4};
        signed char i8[2] = {0, 0};
        err = NULL;
        CHECK(usearchx_cast(f34, usearch_scalar_f32_k, i8, usearch_scalar_i8_k, 2, &err) == usearchx_ok_k);
        CHECK(i8[0] == 76 && i8[1] == 101);
        CHECK(usearchx_cast(f34, usearch_scalar_f32_k, bytes, usearch_scalar_unknown_k, 2, &err) ==
              usearchx_unsupported_k);
        CHECK(usearchx_cast(NULL, usearch_scalar_f32_k, bytes, usearch_scalar_i8_k, 2, &err) ==
              usearchx_invalid_argument_k);
    }
    usearch_free(index, NULL);

    /* usearchx_get on a multi index. */
    o.multi = true;
    index = NULL;
    CHECK(usearchx_init(&o, &index, &err) == usearchx_ok_k);
    for (key = 0; key < 3; ++key) {
        v[0] = (float)key, v[1] = v[2] = v[3] = 0;
        CHECK(usearchx_add(index, 9, v, usearch_scalar_f32_k, &err) == usearchx_ok_k);
    }
    CHECK(usearchx_get(index, 9, 2, out, usearch_scalar_f32_k, &found, &err) == usearchx_ok_k);
    CHECK_SIZE(found, 2);
    CHECK(usearchx_remove(index, 9, &removed, &err) == usearchx_ok_k);
    CHECK_SIZE(removed, 3);
    usearch_free(index, NULL);
}

/* ---- non-finite input and impossible sizes (issue 9) ------------------------------------ */

static void test_non_finite(void) {
    static const usearch_scalar_kind_t stores[] = {usearch_scalar_f32_k, usearch_scalar_f64_k, usearch_scalar_f16_k,
                                                   usearch_scalar_bf16_k, usearch_scalar_i8_k};
    size_t s;
    for (s = 0; s < sizeof stores / sizeof stores[0]; ++s) {
        usearch_index_t index = new_index(usearch_metric_cos_k, stores[s], 4, false, 8);
        usearch_error_t err = NULL;
        float good[4] = {1, 2, 3, 4}, nan_vec[4] = {5, 1, NAN, 3}, inf_vec[4] = {INFINITY, 1, 2, 3};
        double huge[4] = {1, 1e300, 2, 3};
        usearch_key_t keys[2];
        usearch_distance_t dists[2];
        usearch_add(index, 1, good, usearch_scalar_f32_k, &err);
        CHECK_OK(err);
        usearch_add(index, 2, nan_vec, usearch_scalar_f32_k, &err);
        CHECK(err != NULL && strstr(err, "element 2") != NULL);
        err = NULL;
        usearch_add(index, 3, inf_vec, usearch_scalar_f32_k, &err);
        CHECK(err != NULL && strstr(err, "element 0") != NULL);
        err = NULL;
        usearch_add(index, 4, huge, usearch_scalar_f64_k, &err);
        if (stores[s] == usearch_scalar_f64_k || stores[s] == usearch_scalar_i8_k) {
            CHECK_OK(err); /* fits, or is normalised */
        } else {
            CHECK(err != NULL && strstr(err, "overflows") != NULL);
        }
        err = NULL;
        CHECK_SIZE(usearch_search(index, nan_vec, usearch_scalar_f32_k, 2, keys, dists, &err), 0);
        CHECK(err != NULL && strstr(err, "element 2") != NULL);
        err = NULL;
        CHECK_SIZE(usearch_filtered_search(index, inf_vec, usearch_scalar_f32_k, 2, NULL, NULL, keys, dists, &err), 0);
        CHECK(err != NULL);
        err = NULL;
        CHECK(!usearch_contains(index, 2, NULL) && !usearch_contains(index, 3, NULL));
        CHECK_SIZE(usearch_search(index, good, usearch_scalar_f32_k, 1, keys, dists, &err), 1);
        CHECK_OK(err);
        CHECK_SIZE(keys[0], 1);
        usearch_free(index, NULL);
    }
    {
        usearch_init_options_t o = make_options(usearch_metric_l2sq_k, usearch_scalar_f32_k, (size_t)1 << 40);
        usearch_error_t err = NULL;
        usearch_index_t index = usearch_init(&o, &err);
        CHECK(index == NULL && err != NULL);
        if (sizeof(size_t) == 8) {
            /* the last count that fits 2^32-1 bytes per f32 vector is accepted */
            o.dimensions = 0xFFFFFFFFu / 4;
            err = NULL;
            index = usearch_init(&o, &err);
            CHECK(index != NULL);
            CHECK_OK(err);
            usearch_free(index, NULL);
        }
    }
}

/* A file holding a NaN (docs/file-format.md, "Non-finite vectors"): the loaders refuse it naming
 * the key and leave the index as it was; a view serves it, the poisoned vector last at +Inf. */
static void test_non_finite_files(void) {
    static char const path[] = "test_c_api_nonfinite.usearch";
    static float const vectors[3][4] = {{1, 2, 3, 4}, {1, 2, 3, 5}, {-4, 3, -2, 1}};
    usearch_index_t src = new_index(usearch_metric_cos_k, usearch_scalar_f32_k, 4, false, 8);
    usearch_index_t dst = new_index(usearch_metric_l2sq_k, usearch_scalar_f32_k, 4, false, 8);
    usearch_error_t err = NULL;
    usearch_key_t keys[3];
    usearch_distance_t dists[3];
    float nan_value = NAN;
    size_t i, length;
    unsigned char* image;
    FILE* f;
    for (i = 0; i < 3; ++i) {
        usearch_add(src, 10 + i, vectors[i], usearch_scalar_f32_k, &err);
        CHECK_OK(err);
    }
    usearch_add(dst, 99, vectors[2], usearch_scalar_f32_k, &err);
    CHECK_OK(err);
    length = usearch_serialized_length(src, &err);
    image = (unsigned char*)malloc(length);
    CHECK(image != NULL);
    if (!image) return;
    usearch_save_buffer(src, image, length, &err);
    CHECK_OK(err);
    /* Key 11 was added second: its vector is row 1, after the 8 shape bytes. */
    memcpy(image + 8 + 1 * 16 + 2 * 4, &nan_value, 4);
    f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(image, 1, length, f) == length);
    if (f) fclose(f);

    usearch_load_buffer(dst, image, length, &err);
    CHECK(err != NULL && strstr(err, "key 11 (row 1) is not finite: element 2 is NaN") != NULL);
    err = NULL;
    usearch_load(dst, path, &err);
    CHECK(err != NULL && strstr(err, "key 11 (row 1)") != NULL);
    err = NULL;
    CHECK_SIZE(usearch_size(dst, NULL), 1);
    CHECK(usearch_contains(dst, 99, NULL));

    usearch_view_buffer(dst, image, length, &err);
    CHECK_OK(err);
    CHECK_SIZE(usearch_search(dst, vectors[1], usearch_scalar_f32_k, 3, keys, dists, &err), 3);
    CHECK_OK(err);
    CHECK(keys[0] == 10 && keys[1] == 12 && keys[2] == 11);
    CHECK(dists[0] <= dists[1] && isinf(dists[2]) && dists[2] > 0);
    usearch_free(dst, NULL);
    usearch_free(src, NULL);
    free(image);
    remove(path);
}

/* ---- mini-float storage kinds (docs/file-format.md: kind codes, conversions, distances) ------ */

/* Storage in e5m2, e4m3, e3m2, e2m3: f32 input is rounded as the format's sample table says,
 * reads convert back, the kernels give the table's distances, files carry the kind. */
static void test_mini_floats(void) {
    static usearch_scalar_kind_t const kinds[4] = {usearch_scalar_e5m2_k, usearch_scalar_e4m3_k,
                                                   usearch_scalar_e3m2_k, usearch_scalar_e2m3_k};
    static float const input[8] = {1, -2.5f, 0.1f, 0.3f, 3.14159f, 7.5f, 28, 448};
    static unsigned char const stored[4][8] = {
        {0x3C, 0xC1, 0x2E, 0x35, 0x42, 0x48, 0x4F, 0x5F}, /* e5m2 */
        {0x38, 0xC2, 0x1D, 0x2A, 0x45, 0x4F, 0x5E, 0x7E}, /* e4m3 */
        {0x0C, 0x31, 0x02, 0x05, 0x12, 0x18, 0x1F, 0x1F}, /* e3m2 */
        {0x08, 0x32, 0x01, 0x02, 0x15, 0x1F, 0x1F, 0x1F}, /* e2m3 */
    };
    static float const a[8] = {1, 0.5f, 0, 0.25f, 1, 0, 1, 0.75f}, b[8] = {0.5f, 1, 0.25f, 0, 1, 1, 0, 0.5f};
    static unsigned char const file_code[4] = {5, 6, 8, 7}; /* e2m3 is 7, e3m2 is 8 */
    static char const path[] = "test_c_api_mini.usearch";
    size_t k, i;
    for (k = 0; k < 4; ++k) {
        usearch_scalar_kind_t kind = kinds[k];
        usearch_error_t err = NULL;
        usearch_index_t index = new_index(usearch_metric_l2sq_k, kind, 8, false, 4);
        unsigned char bytes[9], ka[8], kb[8];
        float back[8], exact[8] = {1, -2.5f, 0.5f, 0.25f, -1, 2, 0.75f, 0};
        usearch_key_t keys[2];
        usearch_distance_t distances[2];
        usearch_init_options_t meta;
        size_t found;

        usearch_add(index, 1, input, usearch_scalar_f32_k, &err);
        CHECK_OK(err);
        memset(bytes, 0xAB, sizeof(bytes));
        CHECK(usearchx_get(index, 1, 1, bytes, kind, &found, &err) == usearchx_ok_k);
        CHECK_SIZE(found, 1);
        CHECK(memcmp(bytes, stored[k], 8) == 0);
        CHECK(bytes[8] == 0xAB); /* one byte per dimension */

        /* Values on every kind's grid come back unchanged; search finds them at distance 0. */
        usearch_add(index, 2, exact, usearch_scalar_f32_k, &err);
        CHECK_OK(err);
        CHECK_SIZE(usearch_get(index, 2, 1, back, usearch_scalar_f32_k, &err), 1);
        CHECK(memcmp(back, exact, sizeof(exact)) == 0);
        CHECK_SIZE(usearch_search(index, exact, usearch_scalar_f32_k, 2, keys, distances, &err), 2);
        CHECK_OK(err);
        CHECK(keys[0] == 2 && distances[0] == 0);

        /* The kernels on this kind: the format's sample distances for a and b. */
        CHECK(usearchx_cast(a, usearch_scalar_f32_k, ka, kind, 8, &err) == usearchx_ok_k);
        CHECK(usearchx_cast(b, usearch_scalar_f32_k, kb, kind, 8, &err) == usearchx_ok_k);
        CHECK_NEAR(usearch_distance(ka, kb, kind, 8, usearch_metric_cos_k, &err), 0.3608, 5e-5);
        CHECK_NEAR(usearch_distance(ka, kb, kind, 8, usearch_metric_ip_k, &err), -1.375, 5e-4);
        CHECK_NEAR(usearch_distance(ka, kb, kind, 8, usearch_metric_l2sq_k, &err), 2.6875, 5e-5);
        CHECK_NEAR(usearch_distance(ka, kb, kind, 8, usearch_metric_divergence_k, &err), 0.964, 5e-4);
        CHECK_NEAR(usearch_distance(ka, kb, kind, 8, usearch_metric_pearson_k, &err), 1.0118, 5e-5);
        CHECK_OK(err);
        err = NULL;
        CHECK(isnan(usearch_distance(ka, kb, kind, 2, usearch_metric_haversine_k, &err)));
        CHECK(err != NULL);
        {
            unsigned char dataset[16];
            usearch_key_t found_keys[1];
            usearch_distance_t found_distances[1];
            memcpy(dataset, ka, 8), memcpy(dataset + 8, kb, 8);
            err = NULL;
            usearch_exact_search(dataset, 2, 8, kb, 1, 8, kind, 8, usearch_metric_l2sq_k, 1, 1, found_keys,
                                 sizeof(found_keys[0]), found_distances, sizeof(found_distances[0]), &err);
            CHECK_OK(err);
            CHECK(found_keys[0] == 1 && found_distances[0] == 0);
        }

        /* Upstream's add/search/get take no mini-float vectors (section 5.1). */
        err = NULL;
        usearch_add(index, 3, ka, kind, &err);
        CHECK_STR(err, "Unknown scalar kind!");
        CHECK(!usearch_contains(index, 3, NULL));

        /* Files carry the kind's code; load and metadata give it back. */
        err = NULL;
        usearch_save(index, path, &err);
        CHECK_OK(err);
        {
            FILE* f = fopen(path, "rb");
            unsigned char head[8 + 16 + 64];
            CHECK(f != NULL);
            if (f) {
                CHECK_SIZE(fread(head, 1, sizeof(head), f), sizeof(head));
                fclose(f);
                CHECK(head[0] == 2 && head[4] == 8); /* 2 rows of 8 bytes */
                CHECK(memcmp(head + 8, stored[k], 8) == 0);
                CHECK(memcmp(head + 24, "usearch", 7) == 0);
                CHECK(head[24 + 14] == file_code[k]);
            }
        }
        memset(&meta, 0, sizeof(meta));
        usearch_metadata(path, &meta, &err);
        CHECK_OK(err);
        CHECK(meta.quantization == kind && meta.metric_kind == usearch_metric_l2sq_k && meta.dimensions == 8);
        usearch_free(index, NULL);
        index = new_index(usearch_metric_cos_k, usearch_scalar_f32_k, 3, false, 0);
        usearch_load(index, path, &err);
        CHECK_OK(err);
        CHECK_SIZE(usearch_get(index, 2, 1, back, usearch_scalar_f32_k, &err), 1);
        CHECK(memcmp(back, exact, sizeof(exact)) == 0);
        CHECK(usearchx_get(index, 1, 1, bytes, kind, &found, &err) == usearchx_ok_k);
        CHECK(memcmp(bytes, stored[k], 8) == 0);
        usearch_free(index, NULL);
        remove(path);

        /* Metric support as upstream: haversine needs f32/f64; bit metrics take any kind. */
        {
            usearch_init_options_t o = make_options(usearch_metric_haversine_k, kind, 2);
            err = NULL;
            CHECK(usearch_init(&o, &err) == NULL);
            CHECK_STR(err, "Unknown metric kind!");
            index = new_index(usearch_metric_hamming_k, kind, 8, false, 0);
            usearch_free(index, NULL);
            for (i = 0; i < 8; ++i)
                if (a[i] == 1) CHECK(ka[i] == stored[k][0]); /* the cast rounds 1 like add does */
        }
    }
}

/* Found by tests/fuzz/fuzz_api: haversine reads two elements of every vector, but an index
 * (or a metric change, a distance, an exact search) with fewer dimensions was accepted and
 * then read past each vector; a saved copy was refused by the loader. All are refused now. */
static void test_haversine_dimensions(void) {
    usearch_error_t err = NULL;
    usearch_init_options_t o;
    memset(&o, 0, sizeof o);
    o.metric_kind = usearch_metric_haversine_k;
    o.quantization = usearch_scalar_f64_k;
    for (size_t dims = 0; dims < 2; ++dims) {
        usearch_index_t index = NULL;
        o.dimensions = dims;
        err = NULL;
        CHECK(usearchx_init(&o, &index, &err) == usearchx_invalid_argument_k);
        CHECK(index == NULL && err != NULL);
        err = NULL;
        CHECK(usearch_init(&o, &err) == NULL);
        CHECK(err != NULL);
    }
    /* A one-dimension index may not switch to haversine. */
    usearch_index_t index = NULL;
    o.metric_kind = usearch_metric_l2sq_k;
    o.dimensions = 1;
    err = NULL;
    CHECK(usearchx_init(&o, &index, &err) == usearchx_ok_k);
    CHECK(usearchx_change_metric_kind(index, usearch_metric_haversine_k, &err) == usearchx_invalid_argument_k);
    double one = 0.5;
    CHECK(usearchx_add(index, 1, &one, usearch_scalar_f64_k, &err) == usearchx_ok_k);
    usearch_key_t key = 0;
    usearch_distance_t dist = 0;
    size_t found = 0;
    CHECK(usearchx_search(index, &one, usearch_scalar_f64_k, 1, &key, &dist, &found, &err) == usearchx_ok_k);
    CHECK(found == 1 && key == 1 && dist == 0);
    usearch_free(index, NULL);
    /* Distances and exact searches over one-element vectors. */
    double a = 1, b = 2;
    err = NULL;
    CHECK(usearchx_distance(&a, &b, usearch_scalar_f64_k, 1, usearch_metric_haversine_k, &dist, &err) ==
          usearchx_invalid_argument_k);
    CHECK(usearchx_exact_search(&a, 1, sizeof a, &b, 1, sizeof b, usearch_scalar_f64_k, 1,
                                usearch_metric_haversine_k, 1, 1, &key, sizeof key, &dist, sizeof dist,
                                &err) == usearchx_invalid_argument_k);
}

int main(void) {
    test_layout();
    test_version_and_hardware();
    test_init_defaults();
    test_init_errors();
    test_empty_shell();
    test_capacity();
    test_kinds_round_trip();
    test_kinds_conversions();
    test_search_padding();
    test_get_single_multi();
    test_remove_rename();
    test_error_slot();
    test_distance();
    test_isa_variants();
    test_exact_search();
    test_filtered_search();
    test_custom_metrics();
    test_clear();
    test_concurrency();
    test_extensions();
    test_non_finite();
    test_non_finite_files();
    test_mini_floats();
    test_haversine_dimensions();
    printf("%d passed, %d failed\n", passed_count, failed_count);
    return failed_count == 0 ? 0 : 1;
}
