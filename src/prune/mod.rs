//! Pruning: TFMOT's schedules, magnitude masks (per layer or global), structured removal of
//! hidden units, and what each model costs to store. All of it is pure logic on host copies of
//! the weights, except `on_device`, which applies the masks to a burn model during training.

pub mod mask;
pub mod pattern;
pub mod schedule;
pub mod storage;
pub mod structured;
pub mod tiles;
