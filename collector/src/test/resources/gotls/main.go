// Test program for the collector's Go crypto/tls module: an HTTPS server and client built from
// source by the tests (standard library only).
//
//	gotls server <port-file>          serves https on 127.0.0.1:0, writes its port to <port-file>
//	gotls client <url> <marker> [n]   sends n (default 1) GET requests carrying <marker>, prints bodies
//
// SSLKEYLOGFILE, when set, receives the NSS key log of the client (tls.Config.KeyLogWriter).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	template := x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func server(portFile string) {
	listener, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{selfSigned()}})
	if err != nil {
		panic(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(portFile+".tmp", []byte(strconv.Itoa(port)), 0o644); err != nil {
		panic(err)
	}
	if err := os.Rename(portFile+".tmp", portFile); err != nil {
		panic(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "go-server-reply to %s\n", r.Header.Get("X-Marker"))
	})
	if err := http.Serve(listener, handler); err != nil {
		panic(err)
	}
}

func client(url, marker string, count int) {
	config := &tls.Config{InsecureSkipVerify: true}
	if path := os.Getenv("SSLKEYLOGFILE"); path != "" {
		file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			panic(err)
		}
		defer file.Close()
		config.KeyLogWriter = file
	}
	if os.Getenv("GOTLS_MAX_TLS12") != "" {
		config.MaxVersion = tls.VersionTLS12
	}
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: config, ForceAttemptHTTP2: false}}
	for i := 0; i < count; i++ {
		request, err := http.NewRequest("GET", url, nil)
		if err != nil {
			panic(err)
		}
		request.Header.Set("X-Marker", marker)
		response, err := httpClient.Do(request)
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(response.Body)
		response.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Print(string(body))
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gotls server <port-file> | gotls client <url> <marker> [n]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2])
	case "client":
		count := 1
		if len(os.Args) > 4 {
			n, err := strconv.Atoi(os.Args[4])
			if err != nil {
				panic(err)
			}
			count = n
		}
		client(os.Args[2], os.Args[3], count)
	default:
		os.Exit(2)
	}
}
