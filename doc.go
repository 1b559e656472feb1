// Package usearch is approximate nearest-neighbor search for Go: an HNSW graph index over
// dense vectors with the feature set and file format of USearch. Its C++ core is compiled by
// cgo from this module's own sources, so there is no shared library to install: a C++
// compiler and CGO_ENABLED=1 are all it needs.
//
// # Indexes
//
// [NewIndex] creates an [Index], which takes float32 vectors and is a drop-in replacement
// for upstream USearch's Go binding (same names and signatures). [NewIndexOf] creates an
// [IndexOf] that takes and returns vectors of any [Scalar] type (float64, float32,
// [Float16], [BFloat16], int8, uint8, [B1x8]) without unsafe code. Vectors are stored in the
// configured [Quantization] and compared with the configured [Metric]:
//
//	index, err := usearch.NewIndex(usearch.DefaultConfig(768)) // cosine, f32 storage
//	if err != nil { ... }
//	defer index.Close()
//	err = index.Add(42, vector)
//	keys, distances, err := index.Search(query, 10) // nearest first
//
// Every *Index and *IndexOf is safe for any number of goroutines adding, searching,
// removing and renaming at once; capacity grows by itself ([Index.Reserve] only pre-sizes).
//
// # Searching
//
// [Index.Search] walks the graph; [Index.SearchExact] compares the query with every stored
// vector. [Index.FilteredSearch] takes a Go predicate over keys, and [Index.SearchWith]
// takes a [Filter] built from [FilterFunc], [AllowKeys] and [KeyRange] (the latter two run
// inside the core without calling back into Go). [Index.ChangeMetric] installs a Go
// distance function; [Distance] and [ExactSearch] work on plain slices without an index.
//
// # Batches and shards
//
// [Index.AddBatch] and [Index.SearchBatch] take many rows in one flat slice and work on
// them from several goroutines, with progress reports and cancellation through a
// [context.Context]; [BatchOptions] tunes them and [Matches] holds the results.
// [Indexes] searches several indexes of the same kind as one ([NewIndexes] over open
// indexes, [OpenIndexes] over files, loaded or memory-mapped).
//
// # Files
//
// [Index.Save], [Index.Load] and [Index.View] (memory-mapped, read-only) use the upstream
// USearch file format of the release [Version] names, so index files move between this
// package and USearch's Python, JavaScript, Rust, C and C++ bindings in both directions.
// [Metadata] reads a file's configuration from its header without loading it. Save writes
// a temporary file and renames it, so a crash never leaves half a file; Load validates every
// field and never crashes on a malformed file.
//
// # Maintenance
//
// [Index.Keys] and [Index.All] iterate the content, [Index.Stats] describes the graph,
// [Index.Clone] copies an index and [Index.Compact] drops removed vectors from the graph
// and from memory.
//
// # Errors
//
// Errors say what was wrong and match the package's sentinel errors with [errors.Is]:
// [ErrClosed], [ErrDimensionMismatch], [ErrReadOnly], [ErrInvalidFile], [ErrDuplicateKey],
// and so on. Nothing panics across cgo.
//
// # Command
//
// The usearch command (module github.com/usearch-go/usearch/cmd/usearch, kept separate
// so that programs importing this package download none of its dependencies) builds,
// searches, describes and benchmarks index files from .npy, .fvecs and .fbin files.
package usearch

// upstreamVersion is the USearch release whose file format and C API this package
// implements. The C core reports the same string (usearch_version); a test keeps the two
// equal.
const upstreamVersion = "2.26.2"

// Version returns the upstream USearch release whose file format and C API this library
// is compatible with. It needs no cgo.
func Version() string { return upstreamVersion }
