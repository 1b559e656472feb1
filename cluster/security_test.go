package cluster

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/usearch-go/usearch"
)

// TestAuthRefusals runs a server that requires a password: anonymous clients and wrong
// passwords are refused at connect; a reader may search but its writes are refused by NATS
// permissions, and the refusal reaches the caller as ErrPermissionDenied.
func TestAuthRefusals(t *testing.T) {
	const adminPW, readerPW = "admin-secret-4711", "reader-secret-0815"
	s, err := RunEmbedded(EmbeddedOptions{Port: -1, StoreDir: t.TempDir(), Configure: func(o *server.Options) {
		o.Users = []*server.User{
			{Username: "admin", Password: adminPW},
			{Username: "reader", Password: readerPW, Permissions: &server.Permissions{
				Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: []string{"usearch.*.w.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.DELETE.>"}},
			}},
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	url := s.ClientURL()

	if _, err := Connect(ConnOptions{URL: url}); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous connect: %v, want nats.ErrAuthorization", err)
	}
	_, err = Connect(ConnOptions{URL: url, User: "admin", Password: "wrong"})
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("wrong password: %v, want nats.ErrAuthorization", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("connect error shows the password: %v", err)
	}

	admin, err := Connect(ConnOptions{URL: url, User: "admin", Password: adminPW})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := ctxFor(t, 60*time.Second)
	if err := Create(ctx, jsOf(t, admin), "", Spec{Name: "secure", Shards: 2, Index: usearch.DefaultConfig(4)}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	// No time attribute: a timestamp such as 22:26:39.547 contains "9.5", one of the vector
	// values the check below looks for.
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	for sh := 0; sh < 2; sh++ {
		startReplica(t, admin, ReplicaConfig{Collection: "secure", Shard: sh, Logger: logger, SnapshotEvery: 2})
	}
	writer, err := NewClient(ctx, admin, ClientOptions{Collection: "secure"})
	if err != nil {
		t.Fatal(err)
	}
	vec := []float32{0.125, -2.5, 3.75, 9.5}
	for k := usearch.Key(1); k <= 6; k++ {
		if _, err := writer.Add(ctx, k, vec); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := writer.Search(ctx, vec, 3, &SearchOptions{ReadYourWrites: true}); err != nil {
		t.Fatal(err)
	}

	rc, err := Connect(ConnOptions{URL: url, User: "reader", Password: readerPW})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	reader, err := NewClient(ctx, rc, ClientOptions{Collection: "secure"})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := reader.Search(ctx, vec, 3, nil)
	if err != nil || len(res) != 3 {
		t.Fatalf("reader search: %v %v", res, err)
	}
	start := time.Now()
	_, err = reader.Add(ctx, 99, vec)
	if !errors.Is(err, ErrPermissionDenied) || !strings.Contains(err.Error(), "usearch.secure.w.") {
		t.Fatalf("reader Add: %v, want ErrPermissionDenied naming the write subject", err)
	}
	t.Logf("refusal after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if _, err := reader.Remove(ctx, 1); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("reader Remove: %v, want ErrPermissionDenied", err)
	}
	if _, err := reader.AddBatch(ctx, []usearch.Key{100, 101, 102}, make([]float32, 12), nil); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("reader AddBatch: %v, want ErrPermissionDenied", err)
	}
	// The refused writes stored nothing.
	if got, err := writer.Get(ctx, 99); err != nil || len(got) != 0 {
		t.Fatalf("refused write is visible: %v %v", got, err)
	}

	for _, secret := range []string{adminPW, readerPW, "0.125", "-2.5", "9.5"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("replica logs contain %q:\n%s", secret, logs.String())
		}
	}
}

// TestNKeyAuth connects with an nkey seed file through ConnOptions; a different key is refused.
func TestNKeyAuth(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "user.nk"), filepath.Join(dir, "other.nk")
	if err := os.WriteFile(good, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, otherSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := RunEmbedded(EmbeddedOptions{Port: -1, StoreDir: t.TempDir(), Configure: func(o *server.Options) {
		o.Nkeys = []*server.NkeyUser{{Nkey: pub}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, err := Connect(ConnOptions{URL: s.ClientURL(), NKeySeedFile: good})
	if err != nil {
		t.Fatalf("nkey connect: %v", err)
	}
	nc.Close()
	if _, err := Connect(ConnOptions{URL: s.ClientURL(), NKeySeedFile: bad}); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("unknown nkey: %v, want nats.ErrAuthorization", err)
	}
	if _, err := Connect(ConnOptions{URL: s.ClientURL()}); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous: %v, want nats.ErrAuthorization", err)
	}
}
