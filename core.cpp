// core.cpp compiles the whole C++ core as one translation unit inside the Go package
// directory (cgo only builds sources that live there). The sources are in csrc/.
#include "csrc/lib.cpp"
