#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TerminalUI

/// Restore sequences, and a real session on a pseudo-terminal (no tmux, no real TTY).
@Suite(.serialized) struct TerminalSessionTests {
    @Test func enterAndLeaveSequencesAreExact() {
        let o = TerminalOptions()
        #expect(
            String(escaped: o.enterSequence)
                == "␛[?1049h␛[?25l␛[?1000h␛[?1002h␛[?1006h␛[?2004h␛[?1004h␛[0m␛[H␛[2J")
        #expect(
            String(escaped: o.leaveSequence)
                == "␛[0m␛[?1004l␛[?2004l␛[?1006l␛[?1002l␛[?1000l␛[?25h␛[?1049l")
        let plain = TerminalOptions(alternateScreen: false, mouse: false, bracketedPaste: false, focusEvents: false)
        #expect(String(escaped: plain.leaveSequence) == "␛[0m␛[?25h")
        #expect(o.leaveSequence.count <= signalRestoreCapacity)
    }

    @Test func leavingUndoesEnteringOnAVirtualScreen() {
        var v = VirtualScreen(width: 10, height: 2)
        v.feed(Array("shell$".utf8))
        let o = TerminalOptions()
        v.feed(o.enterSequence)
        #expect(v.isAlternateScreen && !v.cursorVisible)
        #expect(v.privateModes.isSuperset(of: [1000, 1002, 1006, 2004, 1004]))
        v.feed(Array("\u{1B}[1;31mapp".utf8))
        v.feed(o.leaveSequence)
        #expect(!v.isAlternateScreen && v.cursorVisible)
        #expect(v.privateModes.isDisjoint(with: [1000, 1002, 1006, 2004, 1004]))
        #expect(v.lines[0] == "shell$    ")
        #expect(v.pen == .blank)
    }

    @Test func crashHandlerStateHoldsTheRestoreBytes() {
        var t = termios()
        t.c_lflag = tcflag_t(ECHO | ICANON)
        armSignalRestore(fd: -1, saved: t, restoreBytes: TerminalOptions().leaveSequence)
        #expect(signalState.pointee.active == 1)
        let stored = Array(UnsafeBufferPointer(start: signalRestoreBytes, count: signalState.pointee.restoreLength))
        #expect(stored == TerminalOptions().leaveSequence)
        #expect(signalState.pointee.savedTermios.c_lflag == tcflag_t(ECHO | ICANON))
        disarmSignalRestore()
        #expect(signalState.pointee.active == 0)
        restoreTerminalFromSignalState()  // disarmed: does nothing
    }

    struct PTY {
        let master: Int32
        let slave: Int32
        init?() {
            // posix_openpt/ptsname are not imported by Glibc; the Linux ioctls do the same.
            let m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)  // CLOEXEC: a child spawned by a parallel test must not keep the pty open
            guard m >= 0 else { return nil }
            var unlock: Int32 = 0
            var number: UInt32 = 0
            let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430
            guard ioctl(m, TIOCSPTLCK, &unlock) == 0, ioctl(m, TIOCGPTN, &number) == 0 else {
                Glibc.close(m)
                return nil
            }
            let s = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY | O_CLOEXEC)
            guard s >= 0 else {
                Glibc.close(m)
                return nil
            }
            master = m
            slave = s
            _ = fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK)
            setSize(width: 40, height: 10)
        }
        func setSize(width: Int, height: Int) {
            var ws = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
        }
        func readAll(waitMilliseconds: Int32 = 200) -> [UInt8] {
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, waitMilliseconds) > 0 else { return out }
                let n = buf.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                guard n > 0 else { return out }
                out += buf[0..<n]
            }
        }
        func type(_ s: String) {
            let bytes = Array(s.utf8)
            _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }
        func close() {
            Glibc.close(slave)
            Glibc.close(master)
        }
    }

    @Test func sessionOnAPseudoTerminal() async throws {
        guard let pty = PTY() else { return }  // no pseudo-terminals in this sandbox
        defer { pty.close() }
        var before = termios()
        #expect(tcgetattr(pty.slave, &before) == 0)

        let session = try TerminalSession(fd: pty.slave, options: TerminalOptions(colorMode: .ansi16))
        // Whatever happens below, never leave a hung test: a watchdog ends the stream.
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(10))
            session.restore()
        }
        defer { watchdog.cancel() }

        var raw = termios()
        #expect(tcgetattr(pty.slave, &raw) == 0)
        #expect(raw.c_lflag & tcflag_t(ECHO | ICANON | ISIG | IEXTEN) == 0)
        #expect(raw.c_iflag & tcflag_t(IXON | ICRNL) == 0)
        #expect(session.size == (40, 10))

        var screen = VirtualScreen(width: 40, height: 10)
        screen.feed(Array("shell prompt".utf8))
        let entered = pty.readAll()
        #expect(entered.starts(with: TerminalOptions().enterSequence))
        screen.feed(entered)
        #expect(screen.isAlternateScreen)

        let stats = session.draw { buf in buf.setString(x: 2, y: 1, "hello", style: Style(fg: .red)) }
        #expect(stats.fullRedraw)
        screen.feed(pty.readAll())
        #expect(screen.lines[1] == "  hello" + String(repeating: " ", count: 33))
        #expect(screen[2, 1].fg == .red)

        pty.type("q\u{1B}[1;5A\u{1B}[<0;3;4M")
        var iterator = session.events.makeAsyncIterator()
        #expect(await iterator.next() == .input(.key(KeyEvent(.char("q")))))
        #expect(await iterator.next() == .input(.key(KeyEvent(.up, modifiers: .ctrl))))
        #expect(await iterator.next() == .input(.mouse(MouseEvent(kind: .press(.left), x: 2, y: 3))))
        pty.type("\u{1B}")
        #expect(await iterator.next() == .input(.key(KeyEvent(.esc))), "a lone ESC arrives after the timeout")

        pty.setSize(width: 50, height: 12)
        kill(getpid(), SIGWINCH)  // process-directed: worker threads block signals
        let resized = await iterator.next()
        #expect(resized == .resize(width: 50, height: 12))
        kill(getpid(), SIGTERM)  // ignored by the process while the session runs; delivered as an event
        let signalled = await iterator.next()
        #expect(signalled == .signal(SIGTERM))

        session.restore()
        session.restore()  // idempotent
        #expect(await iterator.next() == nil, "restore finishes the event stream")
        let left = pty.readAll()
        #expect(left.suffix(TerminalOptions().leaveSequence.count).elementsEqual(TerminalOptions().leaveSequence))
        screen.feed(left)
        #expect(!screen.isAlternateScreen && screen.cursorVisible)
        #expect(screen.lines[0].hasPrefix("shell prompt"))

        var after = termios()
        #expect(tcgetattr(pty.slave, &after) == 0)
        #expect(after.c_lflag == before.c_lflag)
        #expect(after.c_iflag == before.c_iflag)
        #expect(after.c_oflag == before.c_oflag)
        #expect(session.draw { $0.setString(x: 0, y: 0, "x") }.bytesWritten == 0, "no drawing after restore")
    }

    @Test func aClosedTerminalIsAHangUp() async throws {
        guard let pty = PTY() else { return }
        let session = try TerminalSession(fd: pty.slave, options: TerminalOptions(colorMode: .ansi16))
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(10))
            session.restore()
        }
        defer { watchdog.cancel() }
        _ = pty.readAll()
        Glibc.close(pty.master)  // the terminal window closes
        var iterator = session.events.makeAsyncIterator()
        #expect(await iterator.next() == .signal(SIGHUP))
        #expect(await iterator.next() == nil)
        session.restore()
        Glibc.close(pty.slave)
    }
}
