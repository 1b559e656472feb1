package cluster

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configure an in-process NATS server with JetStream, for development and
// tests. It listens on loopback only.
type EmbeddedOptions struct {
	Port     int    // client port; -1 picks a free one
	StoreDir string // JetStream storage; required
	// Optional auth and cluster settings are set on the server.Options directly:
	Configure func(*server.Options)
	// ReadyTimeout bounds the wait for the server to accept connections (default 10s).
	ReadyTimeout time.Duration
	// SyncAlways makes JetStream fsync every write before acknowledging it (nats-server's
	// "sync_interval: always"), so an acknowledged write survives a power failure of this
	// server. Without it JetStream writes to the operating system at once but fsyncs only
	// every SyncInterval (nats-server's default: 2 minutes). See docs/cluster.md, Durability.
	SyncAlways bool
	// SyncInterval, when not zero and SyncAlways is off, replaces the 2-minute interval.
	SyncInterval time.Duration
}

// RunEmbedded starts a NATS server with JetStream in this process and waits until it
// accepts connections.
func RunEmbedded(o EmbeddedOptions) (*server.Server, error) {
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      o.Port,
		JetStream: true,
		StoreDir:  o.StoreDir,
		NoSigs:    true,
		NoLog:     true,
	}
	if o.SyncAlways {
		opts.SyncAlways = true
	} else if o.SyncInterval > 0 {
		opts.SyncInterval = o.SyncInterval
	}
	if o.Configure != nil {
		o.Configure(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS: %w", err)
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	go s.Start()
	if !s.ReadyForConnections(o.ReadyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster: embedded NATS did not become ready in %v", o.ReadyTimeout)
	}
	return s, nil
}
