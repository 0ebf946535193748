/// A loss term with lines for the run's log: which teachers were chosen and why,
/// models skipped, and warnings (for example a degenerate B-Tuning projection).
///
/// The trainer prints `notes` once after `makeTerms` (warnings prefixed so they stand
/// out) and saves them with the run's resolved configuration.
package protocol LossTermNotes: LossTerm {
    /// Informational lines, in order.
    var notes: [String] { get }
    /// Lines the user should act on or at least see on stderr.
    var warnings: [String] { get }
}
