import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';

/** A fresh TestScheduler that compares with chai's deep equal. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}
