/* leak_loop.c: create, fill, search, save, load, view and free indexes in a loop, for
 * LeakSanitizer and valgrind to prove that nothing leaks. Argument: a scratch file path. */
#include <stdio.h>
#include <stdlib.h>

#include "usearch.h"

#define DIMS 16
#define ROUNDS 20
#define VECTORS 300

static int check(usearch_error_t error, const char* what) {
    if (error) {
        fprintf(stderr, "%s: %s\n", what, error);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "leak_loop.usearch";
    float vector[DIMS];
    usearch_key_t keys[10];
    usearch_distance_t distances[10];
    for (int round = 0; round < ROUNDS; ++round) {
        usearch_init_options_t options = {0};
        options.metric_kind = round % 2 ? usearch_metric_l2sq_k : usearch_metric_cos_k;
        options.quantization = round % 3 ? usearch_scalar_f32_k : usearch_scalar_f16_k;
        options.dimensions = DIMS;
        options.multi = round % 4 == 0;
        usearch_error_t error = NULL;
        usearch_index_t index = usearch_init(&options, &error);
        if (check(error, "init")) return 1;
        usearch_reserve(index, VECTORS, &error);
        for (int i = 0; i < VECTORS && !error; ++i) {
            for (int d = 0; d < DIMS; ++d) vector[d] = (float)((i * 31 + d * 7 + round) % 17) - 8.0f;
            usearch_add(index, (usearch_key_t)i, vector, usearch_scalar_f32_k, &error);
        }
        if (check(error, "add")) return 1;
        for (int i = 0; i < VECTORS; i += 3) usearch_remove(index, (usearch_key_t)i, &error);
        usearch_search(index, vector, usearch_scalar_f32_k, 10, keys, distances, &error);
        if (check(error, "search")) return 1;
        usearch_save(index, path, &error);
        if (check(error, "save")) return 1;

        size_t length = usearch_serialized_length(index, &error);
        void* buffer = malloc(length);
        usearch_save_buffer(index, buffer, length, &error);
        if (check(error, "save_buffer")) return 1;
        usearch_free(index, &error);

        usearch_index_t loaded = usearch_init(NULL, &error);
        usearch_load(loaded, path, &error);
        if (check(error, "load")) return 1;
        usearch_add(loaded, 100000, vector, usearch_scalar_f32_k, &error); /* reuses a removed slot */
        if (check(error, "add after load")) return 1;
        usearch_view(loaded, path, &error); /* replaces the loaded content */
        if (check(error, "view")) return 1;
        usearch_search(loaded, vector, usearch_scalar_f32_k, 10, keys, distances, &error);
        usearch_load_buffer(loaded, buffer, length / 2, &error); /* truncated: must fail cleanly */
        if (!error) {
            fprintf(stderr, "a truncated buffer loaded\n");
            return 1;
        }
        error = NULL;
        usearch_view_buffer(loaded, buffer, length, &error);
        if (check(error, "view_buffer")) return 1;
        usearch_free(loaded, &error);
        free(buffer);
    }
    remove(path);
    printf("leak_loop: %d rounds passed, 0 failed\n", ROUNDS);
    return 0;
}
