// SPDX-License-Identifier: MIT

// kubeprobe: the kubelet's own probe code, run as the kubelet runs it,
// beside imaged in tests/bench/pod_probes.py.
//
//	kubeprobe SECONDS PERIOD HOST...
//
// For each HOST, as the kubelet does for a container with a
// readinessProbe (httpGet /index.html, port 80) and a livenessProbe
// (tcpSocket, port 80): one worker per probe, each a goroutine that
// waits a random part of its period, then probes once per period on a
// ticker (pkg/kubelet/prober/worker.go), through the probers the
// kubelet makes (pkg/kubelet/prober/prober.go: httpprobe.New(false),
// tcpprobe.New()) with the default timeoutSeconds of 1. Prints the
// successes and failures after SECONDS.
//
// Built in the kubelet's own source tree (tests/bench/kubeprobe/build),
// so these are its packages at its release, with its vendored modules.
// Not included: the rest of a worker's round (the results and status
// managers, metrics), so this is the least the kubelet spends.
package main

import (
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"k8s.io/kubernetes/pkg/probe"
	httpprobe "k8s.io/kubernetes/pkg/probe/http"
	tcpprobe "k8s.io/kubernetes/pkg/probe/tcp"
)

const timeout = time.Second

var ok, failed int64

func count(r probe.Result) {
	if r == probe.Success {
		atomic.AddInt64(&ok, 1)
	} else {
		atomic.AddInt64(&failed, 1)
	}
}

func worker(period time.Duration, try func() probe.Result) {
	time.Sleep(time.Duration(rand.Float64() * float64(period)))
	ticker := time.NewTicker(period)
	for {
		count(try())
		<-ticker.C
	}
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: kubeprobe SECONDS PERIOD HOST...")
		os.Exit(2)
	}
	secs, err1 := strconv.Atoi(os.Args[1])
	period, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || secs <= 0 || period <= 0 {
		fmt.Fprintln(os.Stderr, "kubeprobe: SECONDS and PERIOD are whole seconds")
		os.Exit(2)
	}
	readiness := httpprobe.New(false)
	liveness := tcpprobe.New()
	for _, host := range os.Args[3:] {
		host := host
		u := &url.URL{Scheme: "http", Host: host + ":80", Path: "/index.html"}
		go worker(time.Duration(period)*time.Second, func() probe.Result {
			r, _, _ := readiness.Probe(u, nil, timeout)
			return r
		})
		go worker(time.Duration(period)*time.Second, func() probe.Result {
			r, _, _ := liveness.Probe(host, 80, timeout)
			return r
		})
	}
	time.Sleep(time.Duration(secs) * time.Second)
	fmt.Printf("kubeprobe: %d succeeded, %d failed\n",
		atomic.LoadInt64(&ok), atomic.LoadInt64(&failed))
}
