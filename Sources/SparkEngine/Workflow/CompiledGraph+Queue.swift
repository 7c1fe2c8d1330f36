import SparkCore

extension CompiledGraph {
    // MARK: Slots on the task queue

    /// How the wait for a queue slot ended.
    enum SlotWait: Sendable {
        /// The slot is held; release it when the attempt ends.
        case granted
        /// The schedule-to-start limit passed first.
        case timedOut(ActivityError)
        /// The run was cancelled while the task waited.
        case cancelled
        /// The queue failed or cancelled the task before its turn (``TaskQueue/cancel(workflow:)``).
        case refused(any Error)
    }

    /// The queue task of one attempt: its id names the thread, step, task and attempt, so the
    /// attempts of concurrent runs never collide; a released task leaves the queue, so a
    /// resumed run may reuse it.
    func slotTask(_ task: WorkflowTask, index: Int, step: Int, attempt: Int, thread: String, resources: NodeResources) -> QueuedTaskSpec {
        QueuedTaskSpec(
            id: "\(thread)/\(step)/\(index)/\(task.node)#\(attempt)", workflow: thread, title: task.node,
            priority: resources.priority, agent: resources.agent, endpoint: resources.endpoint)
    }

    /// Waits until `queue` grants `spec` its slot; with a schedule-to-start `limit`, races the
    /// wait against the limit counted from `dueAt` on the graph's clock. A slot granted just as
    /// the limit passed is given back.
    func waitForSlot(_ queue: TaskQueue, _ spec: QueuedTaskSpec, node: String, dueAt: Duration, limit: Duration?) async -> SlotWait {
        @Sendable func acquire() async -> SlotWait {
            do {
                try await queue.acquire(spec)
                return .granted
            } catch {
                return error is CancellationError || Task.isCancelled ? .cancelled : .refused(error)
            }
        }
        guard let limit else { return await acquire() }
        let clock = self.clock
        return await withTaskGroup(of: SlotWait?.self) { group in
            group.addTask { await acquire() }
            group.addTask {
                let wait = dueAt + limit - clock.elapsed()
                if wait > .zero {
                    do { try await clock.sleep(wait) } catch { return nil }
                }
                return .timedOut(.timeout("scheduleToStart", node: node, limit: limit, label: "schedule-to-start", final: true))
            }
            var outcome: SlotWait?
            for await next in group {
                guard let next else { continue }
                if outcome == nil {
                    outcome = next
                    group.cancelAll()
                } else if case .granted = next {
                    try? await queue.release(spec.id)
                }
            }
            return outcome ?? .cancelled
        }
    }

    /// Gives the slot of an attempt back: a thrown error (other than asking a human or waiting
    /// for a signal) marks the queue task failed.
    func releaseSlot(_ queue: TaskQueue, _ id: String, after result: Result<StateUpdate, any Error>) async {
        var failure: String?
        if case .failure(let error) = result, !(error is NodeInterrupt || error is SignalWaitRequest) {
            failure = String(describing: error)
        }
        // Only this attempt holds the slot, so the release cannot be refused.
        try? await queue.release(id, failure: failure)
    }
}
