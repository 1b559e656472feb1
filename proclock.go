package usearch

import (
	"sync"
	"unsafe"
)

// procLock is a reader-writer lock whose readers write only a cache line of their own
// processor (the P the goroutine runs on), so that concurrent searches on one index do not
// all write the reader count of one sync.RWMutex: on a many-core server that single line,
// bouncing between cores on every call, caps how well searches scale.
//
// A reader takes the shard of its current processor and gets its number back as a token,
// which it must pass to runlock (the goroutine may have moved by then). A writer takes
// every shard, in order, so writers are rare and slow and readers are common and cheap.
// The zero value is an unlocked lock.
type procLock struct {
	shards [procLockShards]paddedRWMutex
}

// procLockShards is a power of two; processors beyond it share shards.
const procLockShards = 64

// paddedRWMutex takes 128 bytes: Go aligns base only to 8 bytes, so with 64-byte shards two
// neighbours could share a cache line; at 128 bytes no two mutexes ever do (sync.Pool pads
// its per-P shards the same way).
type paddedRWMutex struct {
	sync.RWMutex
	_ [128 - 24]byte // sync.RWMutex is 24 bytes
}

// readToken names the shard a reader locked.
type readToken uint32

func (l *procLock) rlock() readToken {
	t := readToken(procPin() & (procLockShards - 1))
	procUnpin()
	l.shards[t].RLock()
	return t
}

func (l *procLock) runlock(t readToken) { l.shards[t].RUnlock() }

func (l *procLock) lock() {
	for i := range l.shards {
		l.shards[i].Lock()
	}
}

func (l *procLock) unlock() {
	for i := range l.shards {
		l.shards[i].Unlock()
	}
}

// procPin and procUnpin are the runtime's own (sync.Pool uses them the same way): they
// return the current processor's number. The runtime keeps them for linkname users
// (go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// Each shard takes exactly 128 bytes.
var (
	_ [128 - unsafe.Sizeof(paddedRWMutex{})]byte
	_ [unsafe.Sizeof(paddedRWMutex{}) - 128]byte
)
