//! How many requests the model may be sent: per diagnosis and in any
//! rolling hour. Time is passed in, so the rules are pure and testable.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

pub use crate::agent::opinion::BudgetSpent;

/// Requests sent in the last hour, shared by every diagnosis.
#[derive(Debug, Clone)]
pub struct HourlyBudget {
    limit: u32,
    sent: VecDeque<Instant>,
}

impl HourlyBudget {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            sent: VecDeque::new(),
        }
    }

    /// Records one request at `now`, or says why it may not be sent.
    pub fn spend(&mut self, now: Instant) -> Result<(), BudgetSpent> {
        while self
            .sent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= HOUR)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= self.limit as usize {
            let wait = self
                .sent
                .front()
                .map_or(HOUR, |&oldest| HOUR.saturating_sub(now - oldest));
            return Err(BudgetSpent::Hour(self.limit, wait.as_secs().max(1)));
        }
        self.sent.push_back(now);
        Ok(())
    }
}

/// Requests of one diagnosis.
#[derive(Debug, Clone, Copy)]
pub struct PassBudget {
    limit: u32,
    sent: u32,
}

impl PassBudget {
    pub fn new(limit: u32) -> Self {
        Self { limit, sent: 0 }
    }

    pub fn spend(&mut self) -> Result<(), BudgetSpent> {
        if self.sent >= self.limit {
            return Err(BudgetSpent::Pass(self.limit));
        }
        self.sent += 1;
        Ok(())
    }

    pub fn sent(&self) -> u32 {
        self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_rolls() {
        let start = Instant::now();
        let mut hour = HourlyBudget::new(2);
        assert!(hour.spend(start).is_ok());
        assert!(hour.spend(start + Duration::from_secs(10)).is_ok());
        assert_eq!(
            hour.spend(start + Duration::from_secs(20)),
            Err(BudgetSpent::Hour(2, 3580))
        );
        assert!(
            hour.spend(start + HOUR).is_ok(),
            "the first one left the window"
        );
    }

    #[test]
    fn a_pass_stops_at_its_limit() {
        let mut pass = PassBudget::new(1);
        assert!(pass.spend().is_ok());
        assert_eq!(pass.spend(), Err(BudgetSpent::Pass(1)));
        assert_eq!(pass.sent(), 1);
    }
}
