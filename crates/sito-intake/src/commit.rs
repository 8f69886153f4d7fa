//! Group commit: submissions that arrive while a commit is in flight share the next one, so the cost of the
//! fsync is paid once per batch instead of once per submission. Each caller hears back only after the
//! transaction holding its submission is durable (invariant 8).
use std::sync::Arc;

use crate::store::StoreError;
use crate::store::{IntakeStore, NewSubmission};
use tokio::sync::{mpsc, oneshot};

use super::IntakeError;

const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

type Pending = (NewSubmission, oneshot::Sender<Result<(), String>>);

pub struct GroupCommit {
    sender: mpsc::Sender<Pending>,
}

impl GroupCommit {
    pub fn start(store: Arc<dyn IntakeStore>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, receiver));
        Self { sender }
    }

    pub async fn commit(&self, submission: NewSubmission) -> Result<(), IntakeError> {
        let (done, wait) = oneshot::channel();
        self.sender
            .send((submission, done))
            .await
            .map_err(|_| IntakeError::Internal("the commit queue is closed".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(detail)) => Err(IntakeError::Internal(detail)),
            Err(_) => Err(IntakeError::Internal("the commit was abandoned".into())),
        }
    }
}

async fn run(store: Arc<dyn IntakeStore>, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let submissions: Vec<NewSubmission> = batch
            .iter()
            .map(|(submission, _)| submission.clone())
            .collect();
        match store.insert_submissions(&submissions).await {
            Ok(()) => {
                for (_, done) in batch.drain(..) {
                    let _ = done.send(Ok(()));
                }
            }
            // One bad row (a codename hash collision: ~2^-80) must not fail its neighbours: retry one by one.
            Err(StoreError::Duplicate) => {
                for (submission, done) in batch.drain(..) {
                    let result = store
                        .insert_submissions(std::slice::from_ref(&submission))
                        .await
                        .map_err(|error| format!("store: {error}"));
                    let _ = done.send(result);
                }
            }
            Err(error) => {
                let detail = format!("store: {error}");
                for (_, done) in batch.drain(..) {
                    let _ = done.send(Err(detail.clone()));
                }
            }
        }
    }
}
