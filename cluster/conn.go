package cluster

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// ConnOptions are the ways to reach and authenticate to NATS. They pass straight to
// nats.go; nothing here is logged.
type ConnOptions struct {
	URL            string // one or more comma-separated server URLs
	Name           string // connection name shown by the server
	User, Password string
	Token          string
	CredsFile      string // JWT + nkey seed (.creds) for decentralised auth
	NKeySeedFile   string // nkey seed file for nkey auth
	// TLS: RootCAFile to verify servers, CertFile/KeyFile for mutual TLS, or a full Config.
	RootCAFile, CertFile, KeyFile string
	TLS                           *tls.Config
	Extra                         []nats.Option // any further nats.go option
}

// Connect dials NATS with the options; an authentication failure is returned as such
// (errors.Is(err, nats.ErrAuthorization)), with the URL but without any credential.
func Connect(o ConnOptions) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if o.User != "" || o.Password != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeySeedFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("cluster: nkey seed file: %w", err)
		}
		opts = append(opts, opt)
	}
	if o.RootCAFile != "" {
		opts = append(opts, nats.RootCAs(o.RootCAFile))
	}
	if o.CertFile != "" || o.KeyFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	if o.TLS != nil {
		opts = append(opts, nats.Secure(o.TLS))
	}
	opts = append(opts, o.Extra...)
	url := o.URL
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", url, err)
	}
	return nc, nil
}
