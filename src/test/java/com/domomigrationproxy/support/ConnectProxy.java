package com.domomigrationproxy.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A forward proxy that only tunnels (HTTP CONNECT), as a company's egress proxy does for https://,
 * and asks for Basic credentials (407) unless they come with the request. It keeps what a proxy
 * could read: each tunnel's target, and every byte the client sent through it. Written here: the
 * proxies on Maven Central (LittleProxy and the like) bring a Netty of their own onto the tests'
 * class path, for what is one request line and two copying loops.
 */
public final class ConnectProxy implements AutoCloseable {

    private static final int MAX_HEAD = 8192;

    private final ServerSocket server;
    private final String authorization;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "connect-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final List<String> tunnels = new CopyOnWriteArrayList<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    private ConnectProxy(String username, String password) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.authorization = "Basic " + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        threads.execute(this::accept);
    }

    /** Listens on 127.0.0.1 and tunnels for whoever gives {@code username} and {@code password}. */
    public static ConnectProxy start(String username, String password) throws IOException {
        return new ConnectProxy(username, password);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The host:port of each tunnel opened, in order. */
    public List<String> tunnels() {
        return List.copyOf(tunnels);
    }

    /** CONNECT requests answered 407: no credentials, or the wrong ones. */
    public int refused() {
        return refused.get();
    }

    /** Everything clients sent: their requests' heads, and what went into the tunnels. */
    public byte[] seen() {
        synchronized (seen) {
            return seen.toByteArray();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.execute(() -> serve(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String[] head = readHead(in).split("\r\n");
            String[] request = head[0].split(" ");
            if (request.length != 3 || !request[0].equals("CONNECT")) {
                out.write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            if (!authorization.equals(header(head, "proxy-authorization"))) {
                refused.incrementAndGet();
                out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"egress\"\r\n"
                        + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                return;
            }
            String target = request[1];
            int colon = target.lastIndexOf(':');
            try (Socket upstream = new Socket(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)))) {
                tunnels.add(target);
                out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                threads.execute(() -> copy(upstream, client, false));
                copy(client, upstream, true);
            }
        } catch (IOException | RuntimeException ended) {
            // the client or Domo went away: the tunnel ends with them
        }
    }

    private String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4 && head.size() < MAX_HEAD) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the client closed before its request's head ended");
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        keep(head.toByteArray(), head.size());
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String header(String[] head, String name) {
        for (int i = 1; i < head.length; i++) {
            int colon = head[i].indexOf(':');
            if (colon > 0 && head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return head[i].substring(colon + 1).trim();
            }
        }
        return null;
    }

    private void copy(Socket from, Socket to, boolean fromClient) {
        byte[] buffer = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int read; (read = in.read(buffer)) >= 0;) {
                if (fromClient) {
                    keep(buffer, read);
                }
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException ended) {
            // either side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException alreadyClosed) {
                // nothing left to end
            }
        }
    }

    private void keep(byte[] bytes, int length) {
        synchronized (seen) {
            seen.write(bytes, 0, length);
        }
    }
}
