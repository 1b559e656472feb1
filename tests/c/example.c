/*
 * example.c: the smallest complete use of the C library.
 *
 * Build against an installed library:
 *   cc example.c $(pkg-config --cflags --libs usearch_c) -o example            (shared)
 *   cc example.c $(pkg-config --cflags --libs usearch_static_c) -o example     (static)
 */
#include <stdio.h>

#include <usearch.h>

#define DIMENSIONS 3
#define WANTED 2

int main(void) {
    usearch_init_options_t options = {
        .metric_kind = usearch_metric_cos_k,
        .metric = NULL,
        .quantization = usearch_scalar_f32_k,
        .dimensions = DIMENSIONS,
        .connectivity = 0,     /* default 16 */
        .expansion_add = 0,    /* default 128 */
        .expansion_search = 0, /* default 64 */
        .multi = false,
    };
    float const vectors[3][DIMENSIONS] = {{1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, {0.7f, 0.7f, 0.0f}};
    float const query[DIMENSIONS] = {0.9f, 0.1f, 0.0f};
    usearch_key_t keys[WANTED];
    usearch_distance_t distances[WANTED];
    usearch_error_t error = NULL;
    usearch_index_t index;
    size_t found, i;

    printf("usearch %s, kernels available: %s\n", usearch_version(), usearch_hardware_acceleration_available());

    index = usearch_init(&options, &error);
    if (!index) {
        fprintf(stderr, "usearch_init: %s\n", error);
        return 1;
    }
    /* The C API does not grow the index: reserve room for the vectors first. */
    usearch_reserve(index, 3, &error);
    for (i = 0; i < 3 && !error; ++i) usearch_add(index, (usearch_key_t)(42 + i), vectors[i], usearch_scalar_f32_k, &error);
    if (error) {
        fprintf(stderr, "adding: %s\n", error);
        usearch_free(index, NULL);
        return 1;
    }

    found = usearch_search(index, query, usearch_scalar_f32_k, WANTED, keys, distances, &error);
    if (error) {
        fprintf(stderr, "usearch_search: %s\n", error);
        usearch_free(index, NULL);
        return 1;
    }
    printf("%zu vectors, %zu found:\n", usearch_size(index, NULL), found);
    for (i = 0; i < found; ++i) printf("  key %llu at distance %.4f\n", (unsigned long long)keys[i], distances[i]);

    usearch_free(index, NULL);
    return found == WANTED && keys[0] == 42 ? 0 : 1;
}
