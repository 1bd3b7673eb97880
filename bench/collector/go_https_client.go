// Keep-alive HTTPS client in Go (crypto/tls): N GET /small over ONE connection, against
// bench/collector/https_server.py. Prints the same four figures as https_client.py:
// 'requests_per_s us_per_request client_cpu_us_per_request server_cpu_us_per_request'
// (this process's user + system CPU from getrusage; the server's from its GET /cpu).
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		panic(err)
	}
	return float64(usage.Utime.Sec+usage.Stime.Sec) + float64(usage.Utime.Usec+usage.Stime.Usec)/1e6
}

func main() {
	port := os.Args[1]
	count, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
	}
	client := &http.Client{Transport: transport}
	get := func(path string) []byte {
		response, err := client.Get("https://127.0.0.1:" + port + path)
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(response.Body)
		response.Body.Close()
		if err != nil {
			panic(err)
		}
		return body
	}
	serverCPU := func() float64 {
		value, err := strconv.ParseFloat(string(get("/cpu")), 64)
		if err != nil {
			panic(err)
		}
		return value
	}
	for i := 0; i < 200; i++ { // warm-up: handshake, caches
		get("/small")
	}
	serverBefore := serverCPU()
	cpuStart := cpuSeconds()
	start := time.Now()
	for i := 0; i < count; i++ {
		get("/small")
	}
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpuStart
	server := serverCPU() - serverBefore
	fmt.Printf("%.0f %.1f %.2f %.2f\n", float64(count)/elapsed, elapsed/float64(count)*1e6,
		cpu/float64(count)*1e6, server/float64(count)*1e6)
}
