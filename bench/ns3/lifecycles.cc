/*
 * lifecycles.cc: the ns-3 side of the tcpsim-versus-ns-3 performance comparison.
 *
 * The workload is the one tcpsim runs in bench/scenarios/lifecycles-*.tcpsim: two nodes joined by a
 * point-to-point link (100 Mbps, 10 ms one way); N TCP connection lifecycles, one started every
 * --interval. Each lifecycle: the client connects to port 80, the handshake completes, the client
 * sends 1000 bytes and closes; the server closes when it sees the client's FIN (ns-3's normal-close
 * callback, which fires on the in-sequence FIN); the client waits out TIME_WAIT (2 * MSL, set from
 * --timewait) and only then counts as complete.
 *
 * Completion is read from the client socket's "State" trace: a lifecycle is complete when a client
 * socket moves TIME_WAIT -> CLOSED. ns-3 3.37 has no callback for the end of TIME_WAIT: the client's
 * normal-close callback fires when it ENTERS TIME_WAIT (TcpSocketBase::TimeWait()); those are
 * counted and printed as client_normal_close for comparison.
 *
 * Prints one "key value" pair per line; wall seconds cover Simulator::Run() only.
 * Build: make bench-ns3 (see README.md). Requires ns-3 (Debian: libns3-dev, 3.37).
 */

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

using namespace ns3;

namespace
{

const uint16_t SERVER_PORT = 80;
const uint32_t CLIENT_BYTES = 1000;
const uint32_t FIRST_EXPLICIT_PORT = 1024;
const uint32_t EXPLICIT_PORTS = 65536 - FIRST_EXPLICIT_PORT;

/* The workload the command line chose. */
struct Workload
{
    uint32_t n = 1000;
    std::string shape = "";    /* sequential | concurrent; overrides interval when set */
    Time interval = Seconds(1);
    double loss = 0.0;         /* per-packet loss probability on each receiving device */
    Time timewait = Seconds(60);
    uint32_t mss = 1460;       /* like Linux on a 1500-byte MTU; ns-3's default is 536 */
    std::string bind = "ephemeral"; /* ephemeral: ns-3 picks the port | explicit: we do */
    uint32_t seed = 1;
    uint32_t run = 1;
    std::string pcap = "";     /* when set, write PREFIX-<node>-<device>.pcap (slow; for checking) */
    /* none: the devices' 100-packet drop-tail queue alone, like tcpsim's link (the fair default);
     * fq_codel: keep the FqCoDel queue disc Ipv4AddressHelper installs (20-23% of the
     * instructions, a discipline tcpsim's link does not have) */
    std::string qdisc = "none";
};

/* Counters and the objects one run needs; ns-3 callbacks are bound to it. */
class Lifecycles
{
  public:
    Lifecycles(const Workload& cfg,
               Ptr<Node> client,
               Ipv4Address clientAddr,
               Ptr<Node> server,
               Ipv4Address serverAddr)
        : m_cfg(cfg),
          m_client(client),
          m_clientAddr(clientAddr),
          m_server(server),
          m_serverAddr(serverAddr)
    {
    }

    void Listen();
    void StartConnection(uint32_t i);
    void CountTx(Ptr<const Packet>) { ++m_packetsSent; }
    void CountDrop(Ptr<const Packet>) { ++m_packetsLost; }

    uint64_t m_started = 0;
    uint64_t m_completed = 0;       /* client TIME_WAIT -> CLOSED */
    uint64_t m_clientNormalClose = 0;
    uint64_t m_clientErrorClose = 0;
    uint64_t m_connectFailed = 0;   /* Connect() refused locally (e.g. no free port) */
    uint64_t m_handshakeFailed = 0; /* SYN retries exhausted */
    uint64_t m_serverClosed = 0;
    uint64_t m_serverBytes = 0;
    uint64_t m_peakAlive = 0;
    uint64_t m_packetsSent = 0;
    uint64_t m_packetsLost = 0;

  private:
    bool Bind(Ptr<Socket> s, uint32_t i);
    void ClientConnected(Ptr<Socket> s);
    void ClientHandshakeFailed(Ptr<Socket> s);
    void ClientNormalClose(Ptr<Socket> s);
    void ClientErrorClose(Ptr<Socket> s);
    void ClientState(TcpSocket::TcpStates_t from, TcpSocket::TcpStates_t to);
    void ServerAccept(Ptr<Socket> s, const Address& from);
    void ServerRecv(Ptr<Socket> s);
    void ServerPeerClose(Ptr<Socket> s);
    void ServerErrorClose(Ptr<Socket> s);
    void Finished();
    uint64_t Alive() const;

    Workload m_cfg;
    Ptr<Node> m_client;
    Ipv4Address m_clientAddr;
    Ptr<Node> m_server;
    Ipv4Address m_serverAddr;
    Ptr<Socket> m_listener;
};

/* Lifecycles that have started and not yet ended one way or another. */
uint64_t
Lifecycles::Alive() const
{
    return m_started - m_completed - m_clientErrorClose - m_connectFailed - m_handshakeFailed;
}

void
Lifecycles::Listen()
{
    m_listener = Socket::CreateSocket(m_server, TcpSocketFactory::GetTypeId());
    m_listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), SERVER_PORT));
    m_listener->Listen();
    m_listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                                  MakeCallback(&Lifecycles::ServerAccept, this));
}

/*
 * ephemeral: Bind() and let ns-3 allocate from 49152..65535; its allocator checks the port alone
 * (not the 4-tuple), so at most 16384 client sockets can exist at once: at one connection per
 * millisecond and 60 s of TIME_WAIT, connection 16384 fails.
 * explicit: connection i binds port 1024 + i % 64512 on the client's address (a port still held is
 * skipped), so up to 64512 client sockets can exist at once. Binding to the concrete address
 * matters: Connect() replaces the local address with the route's source, and a wildcard bind
 * would not see that address's ports as taken. (Extra client addresses would not help: ns-3 3.37
 * overwrites the bound address with the route's source in TcpSocketBase::SetupEndpoint().)
 */
bool
Lifecycles::Bind(Ptr<Socket> s, uint32_t i)
{
    if (m_cfg.bind == "ephemeral")
    {
        return s->Bind() == 0;
    }
    for (uint32_t tries = 0; tries < EXPLICIT_PORTS; ++tries)
    {
        uint16_t port = FIRST_EXPLICIT_PORT + (i + tries) % EXPLICIT_PORTS;
        if (s->Bind(InetSocketAddress(m_clientAddr, port)) == 0)
        {
            return true;
        }
    }
    return false;
}

void
Lifecycles::StartConnection(uint32_t i)
{
    if (i + 1 < m_cfg.n)
    {
        Simulator::Schedule(m_cfg.interval, &Lifecycles::StartConnection, this, i + 1);
    }
    ++m_started;
    Ptr<Socket> s = Socket::CreateSocket(m_client, TcpSocketFactory::GetTypeId());
    s->SetConnectCallback(MakeCallback(&Lifecycles::ClientConnected, this),
                          MakeCallback(&Lifecycles::ClientHandshakeFailed, this));
    s->SetCloseCallbacks(MakeCallback(&Lifecycles::ClientNormalClose, this),
                         MakeCallback(&Lifecycles::ClientErrorClose, this));
    s->TraceConnectWithoutContext("State", MakeCallback(&Lifecycles::ClientState, this));
    if (!Bind(s, i) || s->Connect(InetSocketAddress(m_serverAddr, SERVER_PORT)) != 0)
    {
        if (m_connectFailed == 0)
        {
            std::fprintf(stderr,
                         "connection %u: Bind/Connect failed (errno %d) at %.3f s with %llu alive\n",
                         i,
                         static_cast<int>(s->GetErrno()),
                         Simulator::Now().GetSeconds(),
                         static_cast<unsigned long long>(Alive() - 1));
        }
        ++m_connectFailed;
        Finished();
        return;
    }
    if (Alive() > m_peakAlive)
    {
        m_peakAlive = Alive();
    }
}

void
Lifecycles::ClientConnected(Ptr<Socket> s)
{
    s->Send(Create<Packet>(CLIENT_BYTES));
    s->Close(); /* FIN goes after the data */
}

void
Lifecycles::ClientHandshakeFailed(Ptr<Socket>)
{
    ++m_handshakeFailed;
    Finished();
}

/* ns-3 3.37 fires this on ENTERING TIME_WAIT (TcpSocketBase::TimeWait()), not at its end; no
 * callback marks the end of TIME_WAIT, hence the State trace below. */
void
Lifecycles::ClientNormalClose(Ptr<Socket>)
{
    ++m_clientNormalClose;
}

void
Lifecycles::ClientErrorClose(Ptr<Socket>)
{
    ++m_clientErrorClose;
    Finished();
}

void
Lifecycles::ClientState(TcpSocket::TcpStates_t from, TcpSocket::TcpStates_t to)
{
    if (from == TcpSocket::TIME_WAIT && to == TcpSocket::CLOSED)
    {
        ++m_completed;
        Finished();
    }
}

void
Lifecycles::ServerAccept(Ptr<Socket> s, const Address&)
{
    s->SetRecvCallback(MakeCallback(&Lifecycles::ServerRecv, this));
    s->SetCloseCallbacks(MakeCallback(&Lifecycles::ServerPeerClose, this),
                         MakeCallback(&Lifecycles::ServerErrorClose, this));
}

/* Read everything; an empty packet is end of stream (after the peer's FIN). */
void
Lifecycles::ServerRecv(Ptr<Socket> s)
{
    Ptr<Packet> p;
    while ((p = s->Recv()) && p->GetSize() > 0)
    {
        m_serverBytes += p->GetSize();
    }
}

/* The client's FIN arrived in sequence: read what is left (ns-3 resets on close with unread
 * data) and close. */
void
Lifecycles::ServerPeerClose(Ptr<Socket> s)
{
    ServerRecv(s);
    s->Close();
    ++m_serverClosed;
}

void
Lifecycles::ServerErrorClose(Ptr<Socket>)
{
}

/* Stop as soon as every lifecycle has ended, so the run measures the lifecycles and nothing else. */
void
Lifecycles::Finished()
{
    if (m_started == m_cfg.n && Alive() == 0)
    {
        Simulator::Stop();
    }
}

/* Parse the command line into cfg; false on a bad value. */
bool
ParseArgs(int argc, char* argv[], Workload& cfg)
{
    CommandLine cmd(__FILE__);
    cmd.AddValue("n", "number of connection lifecycles", cfg.n);
    cmd.AddValue("shape", "sequential (one per 1 s) or concurrent (one per 1 ms)", cfg.shape);
    cmd.AddValue("interval", "time between connection starts (e.g. 1s, 1ms)", cfg.interval);
    cmd.AddValue("loss", "per-packet loss probability on each receiving device", cfg.loss);
    cmd.AddValue("timewait", "TIME_WAIT duration (= 2 * MaxSegLifetime)", cfg.timewait);
    cmd.AddValue("mss", "TCP segment size in bytes", cfg.mss);
    cmd.AddValue("bind", "client port choice: ephemeral (ns-3) or explicit", cfg.bind);
    cmd.AddValue("seed", "RNG seed", cfg.seed);
    cmd.AddValue("run", "RNG run number", cfg.run);
    cmd.AddValue("pcap", "write pcap files with this prefix (for checking, not timing)", cfg.pcap);
    cmd.AddValue("qdisc", "queue disc: none (drop-tail device queue only) or fq_codel", cfg.qdisc);
    cmd.Parse(argc, argv);
    if (cfg.shape == "sequential")
    {
        cfg.interval = Seconds(1);
    }
    else if (cfg.shape == "concurrent")
    {
        cfg.interval = MilliSeconds(1);
    }
    else if (!cfg.shape.empty())
    {
        std::fprintf(stderr, "lifecycles: --shape must be sequential or concurrent\n");
        return false;
    }
    if (cfg.n == 0 || cfg.loss < 0 || cfg.loss >= 1 ||
        (cfg.bind != "ephemeral" && cfg.bind != "explicit") ||
        (cfg.qdisc != "none" && cfg.qdisc != "fq_codel"))
    {
        std::fprintf(stderr, "lifecycles: bad --n, --loss, --bind or --qdisc\n");
        return false;
    }
    return true;
}

/* Defaults every socket is created with. */
void
ConfigureTcp(const Workload& cfg)
{
    Config::SetDefault("ns3::TcpSocketBase::MaxSegLifetime",
                       DoubleValue(cfg.timewait.GetSeconds() / 2));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(cfg.mss));
    RngSeedManager::SetSeed(cfg.seed);
    RngSeedManager::SetRun(cfg.run);
}

/* A loss model per receiving device, per packet. */
void
AddLoss(const Workload& cfg, NetDeviceContainer& devices, Lifecycles& lc)
{
    for (uint32_t d = 0; d < devices.GetN(); ++d)
    {
        devices.Get(d)->TraceConnectWithoutContext("PhyTxBegin",
                                                   MakeCallback(&Lifecycles::CountTx, &lc));
        devices.Get(d)->TraceConnectWithoutContext("PhyRxDrop",
                                                   MakeCallback(&Lifecycles::CountDrop, &lc));
        if (cfg.loss <= 0)
        {
            continue;
        }
        Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
        em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
        em->SetRate(cfg.loss);
        em->AssignStreams(d);
        devices.Get(d)->SetAttribute("ReceiveErrorModel", PointerValue(em));
    }
}

long
PeakRssKiB()
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* kilobytes on Linux */
}

void
Report(const Workload& cfg, const Lifecycles& lc, double wall)
{
    std::printf("ns3_version 3.37\n");
    std::printf("n %u\n", cfg.n);
    std::printf("interval_s %g\n", cfg.interval.GetSeconds());
    std::printf("loss %g\n", cfg.loss);
    std::printf("timewait_s %g\n", cfg.timewait.GetSeconds());
    std::printf("bind %s\n", cfg.bind.c_str());
    std::printf("qdisc %s\n", cfg.qdisc.c_str());
    std::printf("wall_seconds %.3f\n", wall);
    std::printf("lifecycles_completed %llu\n", static_cast<unsigned long long>(lc.m_completed));
    std::printf("lifecycles_per_wall_second %.1f\n", wall > 0 ? lc.m_completed / wall : 0.0);
    std::printf("events %llu\n", static_cast<unsigned long long>(Simulator::GetEventCount()));
    std::printf("peak_rss_kib %ld\n", PeakRssKiB());
    std::printf("sim_seconds %.3f\n", Simulator::Now().GetSeconds());
    std::printf("peak_alive %llu\n", static_cast<unsigned long long>(lc.m_peakAlive));
    std::printf("client_normal_close %llu\n",
                static_cast<unsigned long long>(lc.m_clientNormalClose));
    std::printf("client_error_close %llu\n",
                static_cast<unsigned long long>(lc.m_clientErrorClose));
    std::printf("connect_failed %llu\n", static_cast<unsigned long long>(lc.m_connectFailed));
    std::printf("handshake_failed %llu\n", static_cast<unsigned long long>(lc.m_handshakeFailed));
    std::printf("server_closed %llu\n", static_cast<unsigned long long>(lc.m_serverClosed));
    std::printf("server_bytes %llu\n", static_cast<unsigned long long>(lc.m_serverBytes));
    std::printf("packets_sent %llu\n", static_cast<unsigned long long>(lc.m_packetsSent));
    std::printf("packets_lost %llu\n", static_cast<unsigned long long>(lc.m_packetsLost));
}

} // namespace

int
main(int argc, char* argv[])
{
    Workload cfg;
    if (!ParseArgs(argc, argv, cfg))
    {
        return 2;
    }
    ConfigureTcp(cfg);

    NodeContainer nodes;
    nodes.Create(2);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
    p2p.SetChannelAttribute("Delay", StringValue("10ms"));
    NetDeviceContainer devices = p2p.Install(nodes);
    InternetStackHelper stack;
    stack.Install(nodes);
    Ipv4AddressHelper addresses;
    addresses.SetBase("10.1.0.0", "255.255.0.0");
    Ipv4InterfaceContainer ifs = addresses.Assign(devices);
    if (cfg.qdisc == "none")
    {
        /* Assign() installed FqCoDel on both devices; without it packets go straight to the
         * device's drop-tail queue, the only queueing tcpsim's link has. */
        TrafficControlHelper().Uninstall(devices);
    }

    /* client node 0 is 10.1.0.1, server node 1 is 10.1.0.2 */
    Lifecycles lc(cfg, nodes.Get(0), ifs.GetAddress(0), nodes.Get(1), ifs.GetAddress(1));
    AddLoss(cfg, devices, lc);
    if (!cfg.pcap.empty())
    {
        p2p.EnablePcapAll(cfg.pcap);
    }
    lc.Listen();
    Simulator::Schedule(Seconds(0), &Lifecycles::StartConnection, &lc, 0);

    auto t0 = std::chrono::steady_clock::now();
    Simulator::Run();
    auto t1 = std::chrono::steady_clock::now();
    Report(cfg, lc, std::chrono::duration<double>(t1 - t0).count());
    Simulator::Destroy();
    return lc.m_completed == cfg.n ? 0 : 1;
}
