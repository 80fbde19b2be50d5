// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
//! A Rust program that leaks from named functions, one of them generic, and
//! writes its ground truth as the C leakers do (tests/leakers/truth.h): the
//! functions are named as a demangler shows them.  Rust's default allocator is
//! the system's malloc, so a Vec of n bytes is one malloc(n).

use std::env;
use std::fs;
use std::io::{self, Write};
use std::ptr;

// Keeps the leaked blocks reachable, so that nothing can call them unused.
static mut SINK: [*mut u8; 64] = [ptr::null_mut(); 64];
static mut NSINK: usize = 0;

fn keep(p: *mut u8) {
    unsafe {
        let sink = ptr::addr_of_mut!(SINK) as *mut *mut u8;
        ptr::write_volatile(sink.add(NSINK % 64), p);
        NSINK += 1;
    }
}

fn leak_bytes(n: usize) {
    let mut v: Vec<u8> = Vec::with_capacity(n);
    keep(v.as_mut_ptr());
    std::mem::forget(v);
}

#[inline(never)]
fn leaky_fn() {
    for _ in 0..3 {
        leak_bytes(1000);
    }
    keep(ptr::null_mut());
}

#[inline(never)]
fn leaky_generic<T: Default + Clone>(n: usize) {
    let mut v: Vec<T> = Vec::with_capacity(n);
    keep(v.as_mut_ptr() as *mut u8);
    std::mem::forget(v);
    keep(ptr::null_mut());
}

#[inline(never)]
fn balanced() {
    for i in 0..1000 {
        let v: Vec<u8> = Vec::with_capacity(64 + i % 512);
        keep(ptr::null_mut());
        drop(v);
    }
    keep(ptr::null_mut());
}

// "serve": leak_ctl's protocol (tests/e2e/harness.py's Leaker): "ready PID", then
// "leak" leaks as main does, "exit" ends.
fn serve() {
    println!("ready {}", std::process::id());
    let mut line = String::new();
    loop {
        line.clear();
        if io::stdin().read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        match line.trim() {
            "leak" => {
                leaky_fn();
                leaky_generic::<u64>(300);
                balanced();
                println!("leaked ok");
            }
            "exit" => return,
            other => println!("unknown command {} ok", other),
        }
        io::stdout().flush().expect("stdout");
    }
}

fn main() {
    if env::args().nth(1).as_deref() == Some("serve") {
        serve();
        return;
    }
    leaky_fn();
    leaky_generic::<u64>(300);
    balanced();
    if let Ok(path) = env::var("LEAKER_TRUTH") {
        let truth = format!(
            "{{\"pid\": {}, \"sites\": [\
             {{\"function\": \"leak_rust::leaky_fn\", \"bytes\": 3000, \"count\": 3}}, \
             {{\"function\": \"leak_rust::leaky_generic\", \"bytes\": 2400, \"count\": 1}}, \
             {{\"function\": \"leak_rust::balanced\", \"bytes\": 0, \"count\": 0}}]}}\n",
            std::process::id()
        );
        fs::write(&path, truth).expect("cannot write the ground truth");
    }
}
