import Foundation
import SparkCore
import TerminalUI

/// The app's event loop: terminal events and metric samples become actions, actions fold
/// into ``AppState``, and every change is drawn as one diffed frame.
public struct DashboardApp: Sendable {
    public var state: AppState
    public let source: any MetricSource<MetricSample>
    /// The agent control plane, when the app runs with one.
    public let host: (any AppHost)?

    public init(state: AppState, source: any MetricSource<MetricSample>, host: (any AppHost)? = nil) {
        self.state = state
        self.source = source
        self.host = host
    }

    /// Sampling cadence, changed by the reducer's effects while the loop runs.
    actor SamplerControl {
        var interval: Double
        var paused = false
        init(interval: Double) { self.interval = interval }
        func set(interval: Double) { self.interval = interval }
        func set(paused: Bool) { self.paused = paused }
    }

    /// Runs until the user quits or a termination signal arrives. Returns the exit status
    /// (0, or 128 + signal).
    public func run(session: TerminalSession) async -> Int32 {
        var state = self.state
        let size = session.size
        _ = state.reduce(.resize(width: size.width, height: size.height))
        let control = SamplerControl(interval: state.interval)
        let (actions, sink) = AsyncStream<Action>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let source = self.source
        let terminalEvents = session.events
        let host = self.host

        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in terminalEvents {
                    switch event {
                    case .input(let input): sink.yield(.input(input))
                    case .resize(let w, let h): sink.yield(.resize(width: w, height: h))
                    case .resumed: sink.yield(.redraw)
                    case .signal(let sig): sink.yield(.terminate(sig))
                    }
                }
                // The session ended its events: the terminal is gone, so the app goes too.
                sink.yield(.terminate(SIGHUP))
            }
            group.addTask {
                while !Task.isCancelled {
                    if await !control.paused {
                        sink.yield(.sampled(await source.sample()))
                    }
                    let seconds = await control.interval
                    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                }
            }

            if let host {
                group.addTask {
                    for await action in host.events() {
                        if Task.isCancelled { break }
                        sink.yield(action)
                    }
                }
            }

            var status: Int32 = 0
            draw(&state, session)
            loop: for await action in actions {
                if case .terminate(let sig) = action {
                    status = 128 + sig
                    break loop
                }
                if case .redraw = action {
                    session.forceRedraw()
                }
                for effect in state.reduce(action) {
                    switch effect {
                    case .quit: break loop
                    case .suspend:
                        session.suspend()  // returns after SIGCONT, full-screen again with a full redraw due
                        let s = session.size
                        _ = state.reduce(.resize(width: s.width, height: s.height))
                    case .setInterval(let v): await control.set(interval: v)
                    case .setPaused(let p): await control.set(paused: p)
                    case .agent(let request):
                        if let host {
                            group.addTask { await host.perform(request) }
                        } else {
                            _ = state.reduce(.notice("no agent control plane in this session"))
                        }
                    case .memory(let request):
                        if let host {
                            group.addTask {
                                for action in await host.perform(request) { sink.yield(action) }
                            }
                        } else {
                            _ = state.reduce(.memory(.failed(request: request, message: MemoryRequest.unavailable)))
                        }
                    case .bus(let request):
                        if let host {
                            group.addTask {
                                for action in await host.perform(request) { sink.yield(action) }
                            }
                        } else {
                            _ = state.reduce(.notice("no bus in this session"))
                        }
                    case .workflow(let request):
                        if let host {
                            group.addTask {
                                for action in await host.perform(request) { sink.yield(action) }
                            }
                        } else {
                            _ = state.reduce(.workflows(.failed(WorkflowRequest.unavailable)))
                        }
                    }
                }
                draw(&state, session)
            }
            group.cancelAll()
            sink.finish()
            return status
        }
    }

    func draw(_ state: inout AppState, _ session: TerminalSession) {
        session.draw { buffer, cursor in
            cursor = AppView.render(&state, into: &buffer)
        }
    }
}

/// The agent control plane as the app sees it: a stream of actions from outside (agent
/// snapshots, questions, notices, opened runs) and a way to carry out requests.
public protocol AppHost: Sendable {
    /// Actions for the app, for as long as it runs.
    func events() -> AsyncStream<Action>
    /// Carries out a request; outcomes come back as actions on ``events()``.
    func perform(_ request: AgentRequest) async
    /// Asks the memory service; the answers are returned (a superseded search returns none).
    func perform(_ request: MemoryRequest) async -> [Action]
    /// Carries out a request on the bus (redeliver or drop a dead letter); returns notices.
    func perform(_ request: BusRequest) async -> [Action]
    /// Asks the workflow engine to load, replay, fork, answer or save; returns the outcomes
    /// (``WorkflowUpdate/done(_:)`` or ``WorkflowUpdate/failed(_:)``, loaded checkpoints).
    func perform(_ request: WorkflowRequest) async -> [Action]
}

extension AppHost {
    /// Hosts without a memory service answer every request with "memory is not available".
    public func perform(_ request: MemoryRequest) async -> [Action] {
        [.memory(.failed(request: request, message: MemoryRequest.unavailable))]
    }

    /// Hosts without a bus say so.
    public func perform(_ request: BusRequest) async -> [Action] { [.notice("no bus in this session")] }

    /// Hosts without a workflow engine say so.
    public func perform(_ request: WorkflowRequest) async -> [Action] { [.workflows(.failed(WorkflowRequest.unavailable))] }
}

extension WorkflowRequest {
    /// What a session without a workflow engine says.
    public static let unavailable = "no workflow engine in this session"
}

extension MemoryRequest {
    /// What a session without a memory service says.
    public static let unavailable = "memory is not available in this session"
}
