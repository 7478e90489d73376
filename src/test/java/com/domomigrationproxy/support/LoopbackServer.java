package com.domomigrationproxy.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A Domo that misbehaves below HTTP (never completes a handshake, trickles an answer): a server
 * socket on 127.0.0.1 whose one daemon thread hands each connection in turn to a conversation,
 * which decides when it ends. Test profiles read its port when they name Domo's base URL.
 */
public final class LoopbackServer implements AutoCloseable {

    /** What is done with one accepted connection; closing it is the conversation's choice. */
    @FunctionalInterface
    public interface Conversation {
        void with(Socket socket) throws IOException;
    }

    private final ServerSocket server;

    private LoopbackServer(ServerSocket server) {
        this.server = server;
    }

    public static LoopbackServer start(String name, Conversation conversation) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accepting = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        conversation.with(server.accept());
                    } catch (IOException e) {
                        // this connection is over; the next one
                    }
                }
            }, name);
            accepting.setDaemon(true);
            accepting.start();
            return new LoopbackServer(server);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
