// Command vcsim serves govmomi's vCenter simulator for the avsdr.site_recovery emulated estate.
//
// It starts an empty vCenter model (no datacenter: seed.py builds the AVS-like inventory over the API) and serves
// the SOAP API over TLS with the certificate given by -tlscert/-tlskey. The flags it shares with upstream vcsim
// (-l, -username, -password, -tlscert, -tlskey, -dc, -E) mean the same, so the harness drives either binary alike.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	model := simulator.VPX()
	model.Datacenter = 0
	model.Autostart = false

	listen := flag.String("l", "127.0.0.1:8989", "listen address (host:port)")
	username := flag.String("username", "", "login user name (required)")
	password := flag.String("password", "", "login password (required)")
	certFile := flag.String("tlscert", "", "PEM certificate served over TLS (required)")
	keyFile := flag.String("tlskey", "", "PEM private key of -tlscert (required)")
	envOut := flag.String("E", "-", "where to write the 'export VCSIM_URL=... VCSIM_PID=...' line ('-' = stdout)")
	flag.IntVar(&model.Datacenter, "dc", model.Datacenter, "number of generated datacenters (0: empty inventory)")
	flag.Parse()

	if *username == "" || *password == "" || *certFile == "" || *keyFile == "" {
		flag.Usage()
		os.Exit(2)
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("vcsim: loading TLS key pair: %v", err)
	}

	model.ServiceContent.About.FullName += " (govmomi simulator, avsdr.site_recovery emulated AVS)"
	if err = model.Create(); err != nil {
		log.Fatalf("vcsim: creating model: %v", err)
	}
	defer model.Remove()

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	server := model.Service.NewServer()
	defer server.Close()

	// The URL without its credentials: the line ends up in log files.
	served := *server.URL
	served.User = nil
	if err = writeEnvLine(*envOut, fmt.Sprintf("export VCSIM_URL=%s VCSIM_PID=%d\n", served.String(), os.Getpid())); err != nil {
		log.Fatalf("vcsim: %v", err)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}

func writeEnvLine(target, line string) error {
	if target == "-" {
		_, err := os.Stdout.WriteString(line)
		return err
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err = out.WriteString(line); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
