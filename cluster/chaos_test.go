package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
)

// goTool is the go command that runs this test.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// buildBinaries builds nats-server (from the module this package depends on, not a
// download) and usearch-cluster into dir.
func buildBinaries(t *testing.T, dir string) (natsServer, usearchCluster string) {
	t.Helper()
	natsServer, usearchCluster = filepath.Join(dir, "nats-server"), filepath.Join(dir, "usearch-cluster")
	for _, b := range [][2]string{{natsServer, "github.com/nats-io/nats-server/v2"}, {usearchCluster, "./cmd/usearch-cluster"}} {
		cmd := exec.Command(goTool(), "build", "-o", b[0], b[1])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	return natsServer, usearchCluster
}

// proc is a child process killed with SIGKILL, as a crash.
type proc struct {
	name string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(p.args[0], p.args[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); f.Close(); close(p.done) }()
}

func (p *proc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// TestChaosProcesses runs three nats-server processes (sync always, streams with 3 copies)
// and two usearch-cluster serve processes per shard, and during a concurrent ingest kills
// with SIGKILL the server leading shard 0's stream and one replica process of each shard,
// restarts the replicas, then the server. Afterwards no acknowledged write is lost (each
// reads back with its vector), and every replica process of a shard holds the same
// content, key by key (equal digests of every (key, vector), equal to the digest of the
// keys the collection returns). Everything listens on 127.0.0.1.
func TestChaosProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and usearch-cluster and runs 7 processes; not in -short")
	}
	began := time.Now()
	dir := t.TempDir()
	natsBin, ucBin := buildBinaries(t, dir)
	t.Logf("binaries built in %v", time.Since(began).Round(time.Millisecond))
	ctx := ctxFor(t, 90*time.Second)

	all := freePorts(t, 6)
	ports, cports := all[:3], all[3:]
	var routes, urls []string
	for i := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", cports[i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	url := strings.Join(urls, ",")
	servers := make([]*proc, 3)
	for i := range servers {
		conf := filepath.Join(dir, fmt.Sprintf("n%d.conf", i))
		body := fmt.Sprintf("server_name: n%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q, sync_interval: always }\ncluster { name: chaos, listen: 127.0.0.1:%d, routes: [%s] }\n",
			i, ports[i], filepath.Join(dir, fmt.Sprintf("js%d", i)), cports[i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		servers[i] = &proc{name: fmt.Sprintf("n%d", i), args: []string{natsBin, "-c", conf}, log: filepath.Join(dir, fmt.Sprintf("n%d.log", i))}
		servers[i].start(t)
		t.Cleanup(servers[i].kill)
	}
	for _, p := range ports {
		for {
			conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second)
			if err == nil {
				conn.Close()
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("nats-server on port %d never listened: %v", p, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	nc := connect(t, url)
	const dims, shards = 8, 2
	if err := Create(ctx, jsOf(t, nc), "", Spec{Name: "chaos", Shards: shards, Index: usearch.DefaultConfig(dims)}); err != nil {
		for _, p := range servers {
			if b, rerr := os.ReadFile(p.log); rerr == nil {
				t.Logf("%s's log, last 2,000 bytes:\n%s", p.name, b[max(0, len(b)-2000):])
			}
		}
		t.Fatalf("Create on three just-started nats-server processes: %v", err)
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "chaos", ShardTimeout: time.Second, WaitTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec().Copies != 3 {
		t.Fatalf("stream copies %d on three servers, want 3 by default", c.Spec().Copies)
	}
	replicas := make([][]*proc, shards)
	for s := range replicas {
		for j := 0; j < 2; j++ {
			p := &proc{name: fmt.Sprintf("replica %d/%d", s, j), log: filepath.Join(dir, fmt.Sprintf("r%d-%d.log", s, j)),
				args: []string{ucBin, "serve", "-url", url, "-collection", "chaos", "-shards-served", fmt.Sprint(s),
					"-snapshot-every", "100", "-snapshot-interval", "1s", "-tmp", dir}}
			p.start(t)
			t.Cleanup(p.kill)
			replicas[s] = append(replicas[s], p)
		}
	}
	waitReady := func(want int) {
		t.Helper()
		for {
			st, err := c.Status(ctx, 2*time.Second)
			ready := 0
			for _, r := range st {
				if r.Ready {
					ready++
				}
			}
			if ready >= want {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("%d replica processes ready, want %d: %v", ready, want, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitReady(4)
	t.Logf("3 servers and 4 replica processes up after %v", time.Since(began).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(testSeed(t), 11))
	const total = 1600
	data := clustered(rng, total, dims)
	vec := func(i int) []float32 { return data[i*dims : (i+1)*dims] }
	var mu sync.Mutex
	var acks []Ack
	ackedKeys := map[usearch.Key]bool{}
	var ackedCount, failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || ctx.Err() != nil {
					return
				}
				wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				ack, err := c.Add(wctx, usearch.Key(i), vec(i))
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				acks = append(acks, ack)
				ackedKeys[usearch.Key(i)] = true
				mu.Unlock()
				ackedCount.Add(1)
			}
		}()
	}
	// The chaos, at points of the ingest; each step waits for the ingest to get there
	// (bounded by the context).
	at := func(n int64) {
		for ackedCount.Load()+failed.Load() < n && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	at(total / 5)
	logs, err := c.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := slices.IndexFunc(servers, func(p *proc) bool { return p.name == logs[0].Leader })
	if victim < 0 {
		t.Fatalf("leader %q of shard 0's stream is none of the servers", logs[0].Leader)
	}
	t.Logf("kill -9 %s (leader of shard 0's stream) after %d writes", servers[victim].name, ackedCount.Load())
	servers[victim].kill()
	at(2 * total / 5)
	t.Logf("kill -9 one replica process of each shard after %d writes", ackedCount.Load())
	replicas[0][0].kill()
	replicas[1][1].kill()
	at(3 * total / 5)
	t.Logf("restarting the two replica processes after %d writes", ackedCount.Load())
	replicas[0][0].start(t)
	replicas[1][1].start(t)
	at(4 * total / 5)
	t.Logf("restarting %s after %d writes", servers[victim].name, ackedCount.Load())
	servers[victim].start(t)
	wg.Wait()
	t.Logf("ingest done after %v: %d acknowledged, %d failed", time.Since(began).Round(time.Millisecond), ackedCount.Load(), failed.Load())
	if ackedCount.Load() < total/2 {
		t.Fatalf("only %d of %d writes acknowledged", ackedCount.Load(), total)
	}
	waitReady(4)
	if err := c.WaitApplied(ctx, acks); err != nil {
		t.Fatal(err)
	}

	// No acknowledged write lost; the present keys (acknowledged, and any stored whose ack
	// was lost) read back with their own vectors.
	want := make([]uint64, shards)
	present := make([]int, shards)
	for i := 0; i < total; i++ {
		key := usearch.Key(i)
		got, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%d): %v", key, err)
		}
		if len(got) == 0 {
			if ackedKeys[key] {
				t.Fatalf("acknowledged write of key %d lost", key)
			}
			continue
		}
		if len(got) != 1 || !slices.Equal(got[0], vec(i)) {
			t.Fatalf("key %d reads back %v, want its vector %v", key, got, vec(i))
		}
		s := c.ShardOf(key)
		want[s] += entryHash(key, vec(i))
		present[s]++
	}
	// Every replica process of a shard converges to exactly that content.
	logs, err = c.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		st, err := c.status(ctx, 2*time.Second, statusRequest{Digest: true})
		if err != nil {
			t.Fatal(err)
		}
		good := map[int]int{}
		var report []string
		for _, r := range st {
			ok := r.Applied == logs[r.Shard].LastSeq && r.DigestSeq == r.Applied && r.Digest == fmt.Sprintf("%016x", want[r.Shard]) && int(r.Vectors) == present[r.Shard]
			if ok {
				good[r.Shard]++
			}
			report = append(report, fmt.Sprintf("shard %d replica %s: applied %d of %d, %d vectors of %d, digest %s at %d (want %016x) ok=%v",
				r.Shard, r.ID, r.Applied, logs[r.Shard].LastSeq, r.Vectors, present[r.Shard], r.Digest, r.DigestSeq, want[r.Shard], ok))
		}
		if good[0] == 2 && good[1] == 2 {
			t.Logf("converged after %v:\n%s", time.Since(began).Round(time.Millisecond), strings.Join(report, "\n"))
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("replicas did not converge:\n%s", strings.Join(report, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
