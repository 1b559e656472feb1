package cluster

import (
	"testing"
	"time"
)

// TestEmbeddedSync: the embedded server's JetStream syncs every write with SyncAlways and on
// nats-server's 2-minute interval without it (the configuration docs/cluster.md describes).
func TestEmbeddedSync(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     EmbeddedOptions
		always   bool
		interval time.Duration
	}{
		{"default", EmbeddedOptions{}, false, 2 * time.Minute},
		{"always", EmbeddedOptions{SyncAlways: true}, true, 0},
		{"interval", EmbeddedOptions{SyncInterval: 5 * time.Second}, false, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Port, o.StoreDir = -1, t.TempDir()
			s, err := RunEmbedded(o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Shutdown()
			cfg := s.JetStreamConfig()
			if cfg == nil {
				t.Fatal("JetStream is not enabled on the embedded server")
			}
			if cfg.SyncAlways != tc.always || (!tc.always && cfg.SyncInterval != tc.interval) {
				t.Fatalf("sync always %v, interval %v; want %v, %v", cfg.SyncAlways, cfg.SyncInterval, tc.always, tc.interval)
			}
		})
	}
}
