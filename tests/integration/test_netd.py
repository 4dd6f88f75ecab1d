"""netd against real peers: the distribution's dnsmasq as the DHCP
server in one network namespace, netd in the other, a veth between."""
import os
import re
import signal
import subprocess
import sys
import time

from conftest import read, sh, wait_for

DHCP_CONF = "[cl0]\ndhcp = yes\nrequired = yes\n"
LEASE_RE = r"10\.99\.0\.(5\d|60)/24"


def leased(net):
    return [a for a in net.v4() if re.fullmatch(LEASE_RE, a)]


def test_lease_applied(net):
    net.dnsmasq("--dhcp-option=option:dns-server,10.99.0.53",
                "--dhcp-option=option:domain-search,one.test,two.test",
                "--dhcp-option=option:domain-name,lan.test",
                "--dhcp-option=option:mtu,1400")
    net.start_netd(DHCP_CONF, ready_pipe=True)
    addr = wait_for("a lease on cl0", lambda: leased(net))[0]
    # readiness: netd says "ready" on READY_FD once cl0 (required) has it
    assert os.read(net.ready_r, 64) == b"ready\n"
    assert re.search(r"default via 10\.99\.0\.1 dev cl0 proto dhcp "
                     r".*metric \d+", net.routes()), net.routes()
    assert "mtu 1400" in net.cli("ip", "link", "show", "cl0")
    # the address carries the lease's lifetime
    out = net.cli("ip", "addr", "show", "cl0")
    assert re.search(r"valid_lft (1[01]\d|120)sec", out), out
    assert net.resolv() == ("# written by netd from network.conf and DHCP\n"
                            "search one.test two.test lan.test\n"
                            "nameserver 10.99.0.53\n")
    ip = addr.split("/")[0]
    lease_files = os.listdir(net.state)
    assert len(lease_files) == 1 and lease_files[0].startswith("lease-")
    assert read(os.path.join(net.state, lease_files[0])) == f"address {ip}\n"
    st = net.netd("status").stdout
    assert "ready: yes" in st
    assert re.search(rf"dhcp bound: {ip} from 10\.99\.0\.1, \d+ s left", st)
    assert re.search(r"default via 10\.99\.0\.1 dev cl0 metric \d+ \(dhcp\)",
                     st), st
    assert re.search(rf"cl0: dhcp: bound {ip}/24 from 10\.99\.0\.1, "
                     r"lease 120 s", net.log())


def test_renew_at_t1_keeps_address(net):
    srv = net.dnsmasq("--dhcp-option=option:T1,3",
                      "--dhcp-option=option:T2,6")
    net.start_netd(DHCP_CONF)
    addr = wait_for("a lease", lambda: leased(net))[0]
    wait_for("a renewal", lambda: "renewed" in net.log(), 10)
    assert leased(net) == [addr]
    # the renewal went to the server by unicast, from the leased address
    assert re.search(rf"DHCPREQUEST\(srv0\) {addr.split('/')[0]} ",
                     read(srv.log))
    assert re.search(r"cl0: dhcp: renewed .* lease 120 s", net.log())


def test_server_gone_rebind_then_expiry(net):
    srv = net.dnsmasq("--dhcp-option=option:T1,3",
                      "--dhcp-option=option:T2,6")
    net.start_netd(DHCP_CONF)
    wait_for("a lease", lambda: leased(net))
    bound = time.monotonic()
    net.stop(srv)
    wait_for("rebinding", lambda: "dhcp rebinding" in net.netd("status")
             .stdout, 15)
    assert leased(net), "the address must stay until the lease ends"
    # dnsmasq's shortest lease is 2 minutes: wait for its end
    wait_for("the lease to expire", lambda: not leased(net),
             125 - (time.monotonic() - bound) + 10, interval=1)
    assert "lease expired" in net.log()
    assert "default via" not in net.routes()
    assert "nameserver" not in net.resolv()
    # it does not give up: it is looking for a server again
    assert "dhcp selecting" in net.netd("status").stdout


def test_nak_back_to_init(net):
    srv = net.dnsmasq("--dhcp-option=option:T1,3",
                      "--dhcp-option=option:T2,6")
    net.start_netd(DHCP_CONF)
    wait_for("a lease", lambda: leased(net))
    net.stop(srv)
    # the network was renumbered: the renewal is refused
    net.dnsmasq("--dhcp-authoritative", range_="10.99.0.100,10.99.0.110",
                name="dnsmasq2")
    new = wait_for("an address from the new range", lambda: [
        a for a in net.v4() if re.fullmatch(r"10\.99\.0\.1[01]\d/24", a)], 20)
    assert not leased(net)
    assert re.search(r"NAK from the server", net.log()), net.log()
    assert re.search(r"lost 10\.99\.0\.\d+: NAK", net.log())
    assert f"dhcp bound: {new[0].split('/')[0]} from" in \
        net.netd("status").stdout


def test_classless_routes_override_router(net):
    net.dnsmasq("--dhcp-option=option:router,10.99.0.9",
                "--dhcp-option=option:classless-static-route,"
                "192.168.50.0/24,10.99.0.254,0.0.0.0/0,10.99.0.1")
    net.start_netd(DHCP_CONF)
    wait_for("a lease", lambda: leased(net))
    routes = wait_for("the routes", lambda: "192.168.50.0" in net.routes()
                      and net.routes())
    assert re.search(r"192\.168\.50\.0/24 via 10\.99\.0\.254 dev cl0", routes)
    assert re.search(r"default via 10\.99\.0\.1 dev cl0", routes)
    # RFC 3442: with option 121, option 3 is ignored
    assert "10.99.0.9" not in routes


def test_carrier_down_up(net):
    net.dnsmasq()
    net.start_netd(DHCP_CONF)
    addr = wait_for("a lease", lambda: leased(net))[0]
    net.srv("ip", "link", "set", "srv0", "down")
    wait_for("the lease dropped", lambda: not leased(net))
    assert "default via" not in net.routes()
    assert "no carrier: dropping its DHCP lease" in net.log()
    net.srv("ip", "link", "set", "srv0", "up")
    assert wait_for("the lease back", lambda: leased(net), 20) == [addr]
    # it asked for the same address first (INIT-REBOOT)
    assert f"asking for {addr.split('/')[0]} again" in net.log()
    assert "default via 10.99.0.1" in net.routes()


def test_restart_asks_for_the_same_address(net):
    srv = net.dnsmasq()
    p = net.start_netd(DHCP_CONF)
    addr = wait_for("a lease", lambda: leased(net))[0]
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    discovers = read(srv.log).count("DHCPDISCOVER")
    net.start_netd()
    wait_for("the same lease again",
             lambda: net.log().count("dhcp: bound") == 2)
    assert leased(net) == [addr]
    assert read(srv.log).count("DHCPDISCOVER") == discovers
    assert f"asking for {addr.split('/')[0]} again" in net.log()


STATIC_CONF = """\
dns = 10.99.0.53
search = static.test

[cl0]
address = 10.99.0.7/24
address = fd00:99::7/64
gateway = 10.99.0.1
route = 172.16.0.0/12 via 10.99.0.254
route = 198.51.100.0/24
mtu = 1400
required = yes
"""


def test_static_config_exact(net):
    net.start_netd(STATIC_CONF, ready_pipe=True)
    assert os.read(net.ready_r, 64) == b"ready\n"
    wait_for("the addresses", lambda: "fd00:99::7/64" in net.addrs())
    assert net.v4() == ["10.99.0.7/24"]
    routes = net.routes()
    assert re.search(r"default via 10\.99\.0\.1 dev cl0 proto static", routes)
    assert re.search(r"172\.16\.0\.0/12 via 10\.99\.0\.254 dev cl0", routes)
    assert re.search(r"198\.51\.100\.0/24 dev cl0 proto static scope link",
                     routes)
    assert "mtu 1400" in net.cli("ip", "link", "show", "cl0")
    assert net.resolv().endswith("search static.test\n"
                                 "nameserver 10.99.0.53\n")
    # the server side sees it: the address really works
    net.srv("ping", "-c", "1", "-W", "2", "10.99.0.7")


def test_malformed_config_keeps_the_old(net):
    net.start_netd(STATIC_CONF)
    wait_for("the address", lambda: "10.99.0.7/24" in net.v4())
    net.write_conf("[cl0]\naddress = 10.99.0.8/24\nmtu = huge\n")
    r = net.netd("reload", check=False)
    assert r.returncode == 1
    assert "keeping the last good one" in r.stderr
    assert re.search(r"network\.conf:3: mtu must be 68\.\.65535, not 'huge'",
                     net.log())
    # SIGHUP: the same
    net.netd_proc.send_signal(signal.SIGHUP)
    wait_for("the second complaint", lambda: net.log().count("mtu must be")
             == 2)
    assert net.v4() == ["10.99.0.7/24"]
    assert "default via 10.99.0.1" in net.routes()
    assert net.netd_proc.poll() is None
    # a good file then takes effect, and the old address goes
    net.write_conf("[cl0]\naddress = 10.99.0.8/24\n")
    net.netd("reload")
    wait_for("the new address", lambda: net.v4() == ["10.99.0.8/24"])
    assert "default via" not in net.routes()


def test_bad_config_at_start_uses_default(net):
    net.start_netd("[cl0\n")
    assert wait_for("the complaint", lambda: re.search(
        r"network\.conf:1: a section line is .*\n.*keeping the default",
        net.log()))
    assert "config: built-in default" in net.netd("status").stdout


def test_hotplug_and_hand_removed_address(net):
    net.start_netd("[hp*]\naddress = 10.98.0.2/24\n" + STATIC_CONF)
    wait_for("cl0", lambda: "10.99.0.7/24" in net.v4())
    net.veth("kvhps", "kvhpc", "hps0", "hp0")
    assert wait_for("the new link configured",
                    lambda: net.v4("hp0") == ["10.98.0.2/24"])
    # it arrives under its first name, then is renamed (as udev does)
    assert re.search(r"kvhpc: new link \(index \d+, veth\)", net.log())
    assert "kvhpc: renamed to hp0" in net.log()
    net.cli("ip", "addr", "del", "10.99.0.7/24", "dev", "cl0")
    wait_for("the report", lambda: "cl0: address 10.99.0.7/24 was removed, "
             "not by netd" in net.log())


def test_pod_network(net):
    net.start_netd("pod_cidr = 10.77.0.0/24\n" + STATIC_CONF)
    pod_ns = net.cli_ns + "-p"
    subprocess.run(["ip", "netns", "add", pod_ns], check=True)
    net.extra_ns.append(pod_ns)
    r = net.netd("pod-add", "web", f"/run/netns/{pod_ns}")
    assert re.match(r"address 10\.77\.0\.2/24 gateway 10\.77\.0\.1 "
                    r"interface vk[0-9a-f]{8}", r.stdout), r.stdout
    host_if = r.stdout.split()[-1]

    def pod(*argv):
        return subprocess.run(["ip", "netns", "exec", pod_ns] + list(argv),
                              check=True, capture_output=True,
                              text=True).stdout
    assert "inet 10.77.0.2/24" in pod("ip", "addr", "show", "eth0")
    assert "default via 10.77.0.1 dev eth0" in pod("ip", "route")
    assert f"master keel0" in net.cli("ip", "link", "show", host_if)
    pod("ping", "-c", "1", "-W", "2", "10.77.0.1")
    # the world (the server namespace) has no route back to 10.77.0.0/24:
    # the pod reaches it only masqueraded as 10.99.0.7 (nftables NAT)
    assert "10.77.0" not in net.srv("ip", "route")
    pod("ping", "-c", "1", "-W", "2", "10.99.0.1")
    assert "pod network 10.77.0.0/24: firewall and outbound NAT on, IPv4 " \
        "forwarding on" in net.log()
    # a second pod gets the next address and reaches the first
    pod2 = net.cli_ns + "-q"
    subprocess.run(["ip", "netns", "add", pod2], check=True)
    net.extra_ns.append(pod2)
    r2 = net.netd("pod-add", "db", f"/run/netns/{pod2}")
    assert r2.stdout.startswith("address 10.77.0.3/24")
    pod("ping", "-c", "1", "-W", "2", "10.77.0.3")
    # bad requests get clear errors
    r = net.netd("pod-add", "Bad Name", f"/run/netns/{pod2}", check=False)
    assert r.returncode == 1 and "must be 1-63 of [a-z0-9_.-]" in r.stderr
    r = net.netd("pod-add", "x", "/run/netns/nonexistent", check=False)
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    # released: the veth is gone and the address is free again
    net.netd("pod-del", "web")
    assert host_if not in net.cli("ip", "link")
    r = net.netd("pod-del", "web", check=False)
    assert r.returncode == 1 and "has no network" in r.stderr


FETCH = ("import sys, urllib.request; print(urllib.request.urlopen("
         "sys.argv[1], timeout=3).read().decode())")
UDP_ECHO = ("import socket; s = socket.socket(socket.AF_INET, "
            "socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53))\n"
            "while True:\n d, a = s.recvfrom(512); s.sendto(b'echo ' + d, a)")
UDP_ASK = ("import socket, sys; s = socket.socket(socket.AF_INET, "
           "socket.SOCK_DGRAM); s.settimeout(3); "
           "s.sendto(b'hi', (sys.argv[1], int(sys.argv[2]))); "
           "print(s.recv(512).decode())")


def serve_www(net, ns):
    """An HTTP server on port 80 in ns saying "hello from the pod"."""
    www = os.path.join(net.tmp, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("hello from the pod\n")
    net.spawn(ns, [sys.executable, "-m", "http.server", "80",
                   "--bind", "0.0.0.0", "--directory", www],
              os.path.join(net.tmp, "httpd.log"))


def test_pod_host_ports(net):
    """hostPort: tcp:8080:80,udp:5353:53 on a pod; the world (the server
    namespace) and the host itself reach the pod's servers at the
    host's address; a taken port is refused; netd restarted keeps them;
    pod-del takes them away."""
    net.start_netd("pod_cidr = 10.77.0.0/24\n" + STATIC_CONF)
    wait_for("the address", lambda: "10.99.0.7/24" in net.v4())
    pod_ns = net.cli_ns + "-p"
    subprocess.run(["ip", "netns", "add", pod_ns], check=True)
    net.extra_ns.append(pod_ns)
    r = net.netd("pod-add", "web", f"/run/netns/{pod_ns}",
                 "tcp:8080:80,udp:5353:53")
    assert r.stdout.startswith("address 10.77.0.2/24"), r.stdout
    assert "host ports tcp:8080:80,udp:5353:53" in net.log()
    assert read(os.path.join(net.run, "pods", "web")) == \
        "2 tcp:8080:80,udp:5353:53\n"
    serve_www(net, pod_ns)
    net.spawn(pod_ns, [sys.executable, "-c", UDP_ECHO],
              os.path.join(net.tmp, "echo.log"))

    def fetch(ns=net.srv_ns, url="http://10.99.0.7:8080/"):
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                            FETCH, url], capture_output=True, text=True)
        return r.stdout + r.stderr

    # from outside (prerouting) and from the host itself (output)
    wait_for("the pod's server through the host port",
             lambda: "hello from the pod" in fetch())
    assert "hello from the pod" in fetch(net.cli_ns)
    assert "echo hi" in net.srv(sys.executable, "-c", UDP_ASK, "10.99.0.7",
                                "5353")
    # only the ports asked for
    assert "Connection refused" in fetch(url="http://10.99.0.7:8081/")

    # bad and taken ports are refused, and nothing is made for them
    pod2 = net.cli_ns + "-q"
    subprocess.run(["ip", "netns", "add", pod2], check=True)
    net.extra_ns.append(pod2)
    for ports, err in [("tcp:8080", "bad host port 'tcp:8080': want "
                        "PROTO:HOSTPORT:CONTAINERPORT"),
                       ("tcp:80:80,sctp:1:1", "bad host port 'sctp:1:1': "
                        "protocol must be tcp or udp"),
                       ("udp:0:53", "ports must be 1-65535"),
                       ("tcp:9090:90,tcp:8080:81",
                        "host port tcp/8080 is taken by pod web")]:
        r = net.netd("pod-add", "db", f"/run/netns/{pod2}", ports,
                     check=False)
        assert r.returncode == 1 and err in r.stderr, (ports, r.stderr)
    assert "eth0" not in sh("ip", "netns", "exec", pod2, "ip", "link")
    assert not os.path.exists(os.path.join(net.run, "pods", "db"))

    # a restarted netd rebuilds the table with web's ports from its pod
    # table when db's come in
    net.stop(net.netd_proc)
    net.start_netd()
    net.netd("pod-add", "db", f"/run/netns/{pod2}", "tcp:9090:90")
    assert "hello from the pod" in fetch()
    # the same host port on UDP is another port
    net.netd("pod-add", "db", f"/run/netns/{pod2}", "udp:8080:80")
    assert read(os.path.join(net.run, "pods", "db")) == "3 udp:8080:80\n"
    assert "hello from the pod" in fetch()

    net.netd("pod-del", "web")
    out = fetch()
    assert "hello from the pod" not in out
    assert "Connection refused" in out, out
    # the port is free for another pod
    net.netd("pod-add", "db", f"/run/netns/{pod2}", "tcp:8080:80")


def test_host_ports_of_a_pod_in_a_deleted_pods_place(net):
    """A pod added after a pod-del takes the deleted pod's place in the
    table: its host ports are its own, and get their rules, even when
    they are the ones the deleted pod had."""
    net.start_netd("pod_cidr = 10.77.0.0/24\n" + STATIC_CONF)
    wait_for("the address", lambda: "10.99.0.7/24" in net.v4())
    pod_ns = net.cli_ns + "-p"
    subprocess.run(["ip", "netns", "add", pod_ns], check=True)
    net.extra_ns.append(pod_ns)
    serve_www(net, pod_ns)

    def fetch():
        r = subprocess.run(["ip", "netns", "exec", net.srv_ns,
                            sys.executable, "-c", FETCH,
                            "http://10.99.0.7:8080/"],
                           capture_output=True, text=True)
        return r.stdout + r.stderr

    net.netd("pod-add", "web", f"/run/netns/{pod_ns}", "tcp:8080:80")
    wait_for("the pod's server through the host port",
             lambda: "hello from the pod" in fetch())
    net.netd("pod-del", "web")
    assert "Connection refused" in fetch()
    # another pod, the same namespace (its server still listening), the
    # same address and the same port
    r = net.netd("pod-add", "app", f"/run/netns/{pod_ns}", "tcp:8080:80")
    assert r.stdout.startswith("address 10.77.0.2/24"), r.stdout
    assert "hello from the pod" in fetch()


# --- the forward firewall: what the host routes, and for whom -----------

# A TCP server on each port given, IPv4 and IPv6 alike: it answers each
# connection with one line naming itself, the port and the peer.
SERVE = ("import socket, sys, threading\n"
         "def serve(port):\n"
         "    s = socket.socket(socket.AF_INET6)\n"
         "    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
         "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "    s.bind(('::', port)); s.listen(8)\n"
         "    while True:\n"
         "        c, a = s.accept()\n"
         "        peer = a[0].removeprefix('::ffff:')\n"
         "        c.sendall(f'{sys.argv[1]} port {port} from {peer}\\n'"
         ".encode()); c.close()\n"
         "for p in sys.argv[2:]:\n"
         "    threading.Thread(target=serve, args=(int(p),)).start()\n")
# One connection: the server's line, or the error's name (TimeoutError:
# nothing came back, a firewall dropped it).
ASK = ("import socket, sys\n"
       "try:\n"
       "    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)\n"
       "    print(c.makefile().readline().strip())\n"
       "except OSError as e:\n"
       "    print(type(e).__name__)\n")


def ask(ns, addr, port):
    return sh("ip", "netns", "exec", ns, sys.executable, "-c", ASK, addr,
              str(port)).strip()


def serve(net, ns, name, *ports):
    net.spawn(ns, [sys.executable, "-c", SERVE, name] +
              [str(p) for p in ports], os.path.join(net.tmp, f"{name}.log"))
    for p in ports:
        wait_for(f"{name} on port {p}",
                 lambda: ask(ns, "127.0.0.1", p).startswith(name), 10)


def new_ns(net, suffix):
    ns = net.cli_ns + suffix
    sh("ip", "netns", "add", ns)
    net.extra_ns.append(ns)
    return ns


def forwarding(net):
    return (net.cli("cat", "/proc/sys/net/ipv4/ip_forward").strip(),
            net.cli("cat", "/proc/sys/net/ipv6/conf/all/forwarding").strip())


def test_lan_peer_reaches_only_published_ports(net):
    """The attack (issue 16): a LAN peer (the server namespace, 10.99.0.1)
    routes the pod network 10.88.0.0/16 via the host (10.99.0.7) and tries
    a pod's ports straight at its address: the published one and one it
    did not publish. Nothing answers there; the published port answers
    at the host's address only. The pod still reaches out to the LAN."""
    net.start_netd(STATIC_CONF)
    wait_for("the address", lambda: "10.99.0.7/24" in net.v4())
    pod_ns = new_ns(net, "-p")
    r = net.netd("pod-add", "web", f"/run/netns/{pod_ns}", "tcp:8080:80")
    assert r.stdout.startswith("address 10.88.0.2/16"), r.stdout
    serve(net, pod_ns, "pod", 80, 81)
    serve(net, net.srv_ns, "lan", 9000)
    net.srv("ip", "route", "add", "10.88.0.0/16", "via", "10.99.0.7")

    # published: through the host's address, DNAT'd to the pod
    assert ask(net.srv_ns, "10.99.0.7", 8080) == "pod port 80 from 10.99.0.1"
    # the attack: the unpublished port, and the published one behind the
    # host port's back, at the pod's own address; and a ping
    assert ask(net.srv_ns, "10.88.0.2", 81) == "TimeoutError"
    assert ask(net.srv_ns, "10.88.0.2", 80) == "TimeoutError"
    ping = subprocess.run(["ip", "netns", "exec", net.srv_ns, "ping", "-c",
                           "1", "-W", "1", "10.88.0.2"], capture_output=True)
    assert ping.returncode != 0
    # at the host's address the unpublished port is the host's own
    assert ask(net.srv_ns, "10.99.0.7", 8081) == "ConnectionRefusedError"
    # the pod reaches the LAN, masqueraded as the host, and the answers
    # come back (established)
    assert ask(pod_ns, "10.99.0.1", 9000) == "lan port 9000 from 10.99.0.7"
    # forwarding on for IPv4 (pods), never for IPv6 (pods have none)
    assert forwarding(net) == ("1", "0")


def test_host_routes_nothing_between_its_networks(net):
    """The host is on two LANs and forwards for its pods; a peer on one
    LAN routes the other through the host and tries a server there, over
    IPv4 and, once a user has turned IPv6 forwarding on by hand, IPv6:
    neither gets through."""
    net.start_netd(STATIC_CONF + "\n[ln0]\naddress = 10.98.0.7/24\n"
                   "address = fd00:98::7/64\n")
    lan2 = new_ns(net, "-l")
    tag = net.cli_ns[4:]
    sh("ip", "link", "add", f"kvl{tag}", "type", "veth", "peer", "name",
       f"kvm{tag}")
    sh("ip", "link", "set", f"kvl{tag}", "netns", net.cli_ns)
    sh("ip", "link", "set", f"kvm{tag}", "netns", lan2)
    net.cli("ip", "link", "set", f"kvl{tag}", "name", "ln0")

    def l2(*argv):
        return sh("ip", "netns", "exec", lan2, *argv)
    l2("ip", "link", "set", f"kvm{tag}", "name", "ln1")
    l2("ip", "addr", "add", "10.98.0.1/24", "dev", "ln1")
    l2("ip", "addr", "add", "fd00:98::1/64", "dev", "ln1", "nodad")
    for dev in ("lo", "ln1"):
        l2("ip", "link", "set", dev, "up")
    l2("ip", "route", "add", "default", "via", "10.98.0.7")
    l2("ip", "-6", "route", "add", "default", "via", "fd00:98::7")
    net.srv("ip", "addr", "add", "fd00:99::1/64", "dev", "srv0", "nodad")
    net.srv("ip", "route", "add", "10.98.0.0/24", "via", "10.99.0.7")
    net.srv("ip", "-6", "route", "add", "fd00:98::/64", "via", "fd00:99::7")
    wait_for("the host's addresses, past DAD", lambda: all(
        a in net.addrs(d) for d, a in [("cl0", "fd00:99::7/64"),
                                       ("ln0", "fd00:98::7/64")])
        and "tentative" not in net.cli("ip", "-6", "addr"))
    serve(net, lan2, "lan2", 9000)

    # a pod: the host now forwards IPv4; the user turns on IPv6 too
    pod_ns = new_ns(net, "-p")
    net.netd("pod-add", "web", f"/run/netns/{pod_ns}")
    net.cli("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1")
    assert forwarding(net) == ("1", "1")
    assert ask(net.srv_ns, "10.98.0.1", 9000) == "TimeoutError"
    assert ask(net.srv_ns, "fd00:98::1", 9000) == "TimeoutError"
    # the host itself still reaches both
    assert ask(net.cli_ns, "10.98.0.1", 9000) == "lan2 port 9000 from " \
        "10.98.0.7"
    assert ask(net.cli_ns, "fd00:98::1", 9000) == "lan2 port 9000 from " \
        "fd00:98::7"


def test_forwarding_waits_for_the_firewall(net):
    """IPv4 forwarding is off until netd's firewall is in: with the table
    held by another program the batch fails, pod-add says so and the
    host forwards nothing; once it is free, pod-add turns it on."""
    net.start_netd(STATIC_CONF)
    assert forwarding(net) == ("0", "0")
    hold = os.path.join(os.path.dirname(__file__), "nft_hold.py")
    holder = subprocess.Popen(["ip", "netns", "exec", net.cli_ns,
                               sys.executable, hold, "inet", "keel"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    net.procs.append(holder)
    assert holder.stdout.readline() == "held\n"
    pod_ns = new_ns(net, "-p")
    r = net.netd("pod-add", "web", f"/run/netns/{pod_ns}", check=False)
    assert r.returncode == 1, r.stdout
    assert "cannot set up the pod firewall (nftables: Operation not " \
        "permitted); IPv4 forwarding stays off" in r.stderr, r.stderr
    assert forwarding(net) == ("0", "0")
    assert "eth0" not in sh("ip", "netns", "exec", pod_ns, "ip", "link")
    assert re.search(r"pod web: cannot set up the pod firewall", net.log())

    # the owner gone, its table goes with it: the next pod-add sets up
    # the firewall and only then forwarding
    net.stop(holder)
    r = net.netd("pod-add", "web", f"/run/netns/{pod_ns}")
    assert r.stdout.startswith("address 10.88.0.2/16"), r.stdout
    assert forwarding(net) == ("1", "0")
    assert "pod network 10.88.0.0/16: firewall and outbound NAT on" in \
        net.log()


def test_hostile_server_is_ignored(net):
    hostile = os.path.join(os.path.dirname(__file__), "hostile_dhcp.py")
    log = os.path.join(net.tmp, "hostile.log")
    net.spawn(net.srv_ns, [sys.executable, hostile, "--iface", "srv0",
                           "--server-ip", "10.99.0.1", "--offer-ip",
                           "10.99.0.50", "--mode", "gauntlet",
                           "--log", log], os.devnull)
    wait_for("the hostile server", lambda: "ready" in read(log), 10)
    net.start_netd(DHCP_CONF)
    # every hostile variant comes first, the good answer last: netd skips
    # the garbage, takes the good lease in one exchange, and lives on
    assert wait_for("the good lease", lambda: net.v4() == ["10.99.0.50/24"],
                    20, interval=0.2)
    text = read(log)
    assert "[gauntlet good]" in text
    for mode in ("truncated", "overlong", "wrong-xid", "wrong-chaddr",
                 "overload", "bad-121", "bad-119", "tiny", "bad-ip"):
        assert f"({mode}" in text, mode
    assert "ignoring a bad packet" in net.log()
    assert net.netd_proc.poll() is None


def test_wrong_xid_never_taken(net):
    hostile = os.path.join(os.path.dirname(__file__), "hostile_dhcp.py")
    log = os.path.join(net.tmp, "hostile.log")
    net.spawn(net.srv_ns, [sys.executable, hostile, "--iface", "srv0",
                           "--server-ip", "10.99.0.1", "--offer-ip",
                           "10.99.0.50", "--mode", "wrong-xid", "--log", log],
              os.devnull)
    wait_for("the hostile server", lambda: "ready" in read(log), 10)
    net.start_netd(DHCP_CONF)
    wait_for("two answers", lambda: read(log).count("tx ") >= 2, 15)
    assert net.v4() == []
    assert "dhcp selecting" in net.netd("status").stdout


def cpu_ticks(pid):
    """utime + stime of the netd under `ip netns exec` (its only child)."""
    kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    pid = int(kids[0]) if kids else pid
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_link_down_stays_quiet(net):
    """A link set down leaves an error on its packet socket; netd must
    read it, not wake on it forever."""
    net.dnsmasq()
    p = net.start_netd(DHCP_CONF)
    wait_for("a lease", lambda: leased(net))
    net.cli("ip", "link", "set", "cl0", "down")
    time.sleep(0.5)
    before = cpu_ticks(p.pid)
    time.sleep(3)
    # well under a tenth of a core (ticks are 1/100 s)
    assert cpu_ticks(p.pid) - before < 30
    assert p.poll() is None


def test_reload_with_the_same_rules_keeps_the_lease(net):
    net.dnsmasq()
    net.start_netd(DHCP_CONF)
    addr = wait_for("a lease", lambda: leased(net))[0]
    # the same rule, two lines further down: nothing to redo
    net.write_conf("# moved\n\n" + DHCP_CONF)
    net.netd("reload")
    assert net.log().count("configuring from") == 1
    assert leased(net) == [addr]
    assert "ready: yes" in net.netd("status").stdout
